import { parseHostList } from '../../src/store/pg-hosts';

// node-postgres reads one host; a libpq-style URL with several is split into one URL per host for the pool factory.

test('splits several hosts into one URL each, keeping user, database and the other parameters', () => {
  expect(parseHostList('postgres://dmp:secret@db1:5432,db2:5433/dmp?target_session_attrs=read-write&sslmode=disable')).toEqual({
    urls: ['postgres://dmp:secret@db1:5432/dmp?sslmode=disable', 'postgres://dmp:secret@db2:5433/dmp?sslmode=disable'],
    targetSessionAttrs: 'read-write',
  });
});

test('leaves a single-host URL as it was, choosing nothing', () => {
  expect(parseHostList('postgres://postgres@127.0.0.1:5432/h7')).toEqual({ urls: ['postgres://postgres@127.0.0.1:5432/h7'], targetSessionAttrs: 'any' });
});

test('refuses a target_session_attrs it cannot honour', () => {
  expect(() => parseHostList('postgres://a,b/db?target_session_attrs=prefer-standby')).toThrow(/not supported/);
});
