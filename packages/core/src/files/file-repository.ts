import type { Db, FilesTable } from '../db/schema.js';

export async function insertFile(db: Db, row: FilesTable): Promise<void> {
  await db.insertInto('roster_files').values(row).execute();
}

export async function setFileSize(db: Db, id: string, size: number): Promise<void> {
  await db.updateTable('roster_files').set({ size }).where('id', '=', id).execute();
}

export async function insertChunk(db: Db, fileId: string, seq: number, bytes: Uint8Array): Promise<void> {
  await db.insertInto('roster_file_chunks').values({ file_id: fileId, seq, bytes }).execute();
}

export async function findFile(db: Db, id: string): Promise<FilesTable | undefined> {
  return db.selectFrom('roster_files').selectAll().where('id', '=', id).executeTakeFirst();
}

/** One chunk at or after `seq`, or undefined past the end. */
export async function findChunk(
  db: Db,
  fileId: string,
  seq: number,
): Promise<{ seq: number; bytes: Uint8Array } | undefined> {
  return db
    .selectFrom('roster_file_chunks')
    .select(['seq', 'bytes'])
    .where('file_id', '=', fileId)
    .where('seq', '>=', seq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
}

/** Deletes the file and its chunks. */
export async function deleteFile(db: Db, id: string): Promise<void> {
  await db.deleteFrom('roster_file_chunks').where('file_id', '=', id).execute();
  await db.deleteFrom('roster_files').where('id', '=', id).execute();
}
