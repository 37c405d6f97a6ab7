import { isDatabaseUnavailable } from '../../src/pages';
import { toApiError } from '../../src/api/api-exception.filter';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable: a lost or refused connection, not a refused statement', () => {
  it.each([
    [
      'terminated by an administrator (57P01)',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    [
      'the server is shutting down (57P02)',
      withCode('terminating connection due to crash of another server process', '57P02'),
    ],
    ['the server is starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection exception (08006)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['refused by the network (ECONNREFUSED)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['reset by the network (ECONNRESET)', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a socket that closed under a query', new Error('Connection terminated unexpectedly')],
    ['a connect timeout of the pool', new Error('timeout exceeded when trying to connect')],
    ['any of those as a cause', new Error('query failed', { cause: withCode('terminating connection', '57P01') })],
    [
      'any of those inside an AggregateError',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'all addresses failed'),
    ],
  ])('%s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error (42601)', withCode('syntax error at or near "selec"', '42601')],
    ['a serialization failure (40001)', withCode('could not serialize access', '40001')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'ECONNREFUSED'],
  ])('not %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('is answered 503 by the API, without the driver message', () => {
    const body = toApiError(withCode('connect ECONNREFUSED 10.1.2.3:5432', 'ECONNREFUSED'));
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable right now; retry in a moment.',
    });
  });
});
