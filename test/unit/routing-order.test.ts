import type { RegisteredHttpFunction } from '../../dev/functions-runtime';
import { findRoute, routingOrder } from '../../dev/local-host/routing';

const fn = (name: string, route: string, methods = ['GET']): RegisteredHttpFunction => ({
  name,
  route,
  methods,
  authLevel: 'function',
  handler: () => ({ status: 204 }),
});

test('functions are tried in OrdinalIgnoreCase order of their names, as the Functions host sorts them', () => {
  // Ordinal (case-sensitive) order would put every upper-case name before any lower-case one.
  const order = routingOrder([fn('b_second', 'b'), fn('Z_NotFound', '{*path}'), fn('a_first', 'a'), fn('C_third', 'c')]).map(
    (registered) => registered.name,
  );
  expect(order).toEqual(['a_first', 'b_second', 'C_third', 'Z_NotFound']);
});

test('the first function in that order whose route matches answers, whatever its route looks like', () => {
  const ordered = routingOrder([fn('Items', 'items/{id}'), fn('aCatchAll', '{*path}')]);
  expect(findRoute(ordered, 'GET', 'items/1')?.fn.name).toBe('aCatchAll');
});

test('a trailing slash and the case of literal segments do not matter', () => {
  const ordered = routingOrder([fn('Health', 'health'), fn('Z_NotFound', '{*path}')]);
  for (const path of ['health', 'health/', 'HEALTH', 'Health//']) expect(findRoute(ordered, 'GET', path)?.fn.name).toBe('Health');
  expect(findRoute(ordered, 'GET', '')?.fn.name).toBe('Z_NotFound');
});
