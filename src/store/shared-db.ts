// A connection of its own to the store's database file, for the tables kept
// beside the store's (the prediction log, the dashboard's plan history): WAL,
// so it never blocks the store's readers; NORMAL sync, as losing the last
// moment of these on a crash loses no decision; a short busy wait.
import Database from 'better-sqlite3';

export function openSharedDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 1000');
  return db;
}
