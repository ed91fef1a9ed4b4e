import { newEventId } from '../../../src/audit/event-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('an event id is a version 7 UUID whose first 48 bits are the instant given, in milliseconds', () => {
  const at = Date.parse('2026-12-06T13:30:00.123Z');
  const id = newEventId(at);
  expect(id).toMatch(UUID_V7);
  expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
});

test('ids of later instants sort after earlier ones, and ids of one instant differ', () => {
  const at = Date.now();
  const ids = [newEventId(at), newEventId(at + 1), newEventId(at + 1000)];
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(Array.from({ length: 1000 }, () => newEventId(at))).size).toBe(1000);
});
