import { databaseUnavailable, isConnectionLoss, RETRY_AFTER_SECONDS } from '../../src/store/connection-loss';

describe('telling a lost database connection from a bad statement', () => {
  it.each([
    ['the driver losing the socket', new Error('Connection terminated unexpectedly')],
    ['a client already broken', new Error('Client has encountered a connection error and is not queryable')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['the server shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['the server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection exception (class 08)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['no free client in time', new Error('timeout exceeded when trying to connect')],
  ])('counts %s as a connection loss', (_label, err) => {
    expect(isConnectionLoss(err)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
    ['a syntax error', Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' })],
    ['a serialization failure', Object.assign(new Error('could not serialize access'), { code: '40001' })],
    ['nothing at all', undefined],
  ])('does not count %s as one', (_label, err) => {
    expect(isConnectionLoss(err)).toBe(false);
  });

  it('answers 503 with Retry-After and an OperationOutcome saying the request was not acknowledged', () => {
    const err = databaseUnavailable();
    expect(err.status).toBe(503);
    expect(err.headers['Retry-After']).toBe(String(RETRY_AFTER_SECONDS));
    expect(err.outcome.issue[0]).toMatchObject({ severity: 'error', code: 'transient' });
  });
});
