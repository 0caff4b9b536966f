import { preferencesOf, prefersMinimal } from '../../src/http/headers';

// The Prefer header as RFC 7240 reads it: comma-separated preferences, each a token with an
// optional value (a token or a quoted string, with optional whitespace around `=`) and optional
// parameters after `;`. A preference named twice counts once, the first time.
describe('Prefer', () => {
  test.each([
    ['return=minimal', true],
    ['return="minimal"', true],
    ['return=minimal; foo=bar', true],
    ['return = minimal', true],
    ['RETURN=Minimal', true],
    ['respond-async, return=minimal', true],
    ['respond-async,return="minimal";x="a,b"', true],
    ['x="return=minimal, y", return=representation', false],
    ['return=representation', false],
    ['return=representation, return=minimal', false],
    ['return=minimalist', false],
    ['return', false],
    ['', false],
  ])('%j asks for return=minimal: %s', (prefer, minimal) => {
    expect(prefersMinimal(new Headers({ prefer }))).toBe(minimal);
  });

  test('no header asks for nothing', () => {
    expect(prefersMinimal(new Headers())).toBe(false);
  });

  test('each preference by name, values unquoted, parameters set aside', () => {
    expect(Object.fromEntries(preferencesOf('respond-async, wait=10; unit=s, handling="lenient", x="a\\"b"'))).toEqual({
      'respond-async': '',
      wait: '10',
      handling: 'lenient',
      x: 'a"b',
    });
  });
});
