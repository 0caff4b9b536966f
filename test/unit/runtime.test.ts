// The product runs on Node 22 in Azure; the test run must be on the same major version.
test('tests run on Node 22', () => {
  expect(process.versions.node.split('.')[0]).toBe('22');
});
