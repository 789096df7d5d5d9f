import { crc32, deflateRawSync } from 'node:zlib';

// Export files of other tools, built from their published formats, for the import presets' tests.

/** A ZIP archive of these files (deflated, or stored with `stored`), as an export tool writes one. */
export function zipOf(files: Record<string, string>, stored = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const body = stored ? data : deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    // What a local header and its central directory entry both say, from `at` on: the method, the
    // CRC-32, both sizes and the name's length (the central entry has one more field before them).
    const describeEntry = (header: Buffer, at: number) => {
      header.writeUInt16LE(stored ? 0 : 8, at);
      header.writeUInt32LE(crc32(data), at + 6);
      header.writeUInt32LE(body.length, at + 10);
      header.writeUInt32LE(data.length, at + 14);
      header.writeUInt16LE(nameBytes.length, at + 18);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    describeEntry(local, 8);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    describeEntry(central, 10);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// Mailchimp's audience export (a ZIP of subscribed / unsubscribed / cleaned member CSVs), with
// the columns its documentation lists: the default merge fields, then the member's own columns.
const MC_BASE =
  '"Email Address","First Name","Last Name",Address,"Phone Number",Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,' +
  'CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED';
const MC_TAIL = 'LEID,EUID,NOTES,TAGS';
export const MAILCHIMP_SUBSCRIBED = [
  `${MC_BASE},${MC_TAIL}`,
  '"Ada@Example.com",Ada,Lovelace,"12 St James\'s Sq  London  SW1Y 4JH  GB","+44 20 7946 0000",12/10,4,' +
    '"2024-01-02 10:00:00",203.0.113.1,"2024-01-02 10:05:00",203.0.113.1,51.5,-0.13,0,1,Europe/London,GB,ENG,' +
    '"2024-03-04 08:00:00",1001,abc123,"met at PyCon","""Customer"",""VIP, gold"""',
  'grace@example.com,Grace,"Hopper Jr",,,,2,"2024-02-01 09:00:00",,,,,,,,,,,"2024-02-01 09:00:00",1002,def456,,',
].join('\r\n');
export const MAILCHIMP_UNSUBSCRIBED = [
  `${MC_BASE},UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,${MC_TAIL}`,
  'linus@example.com,Linus,,,,,1,"2023-05-01 12:00:00",,,,,,,,,,,"2024-05-06 07:00:00","2024-05-06 07:00:00",' +
    '"May news",c0ffee,"I no longer want to receive these emails",,1003,ghi789,,"""Lead"""',
].join('\r\n');
export const MAILCHIMP_CLEANED = [
  `${MC_BASE},CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,${MC_TAIL}`,
  'bounced@example.com,,,,,,1,"2022-01-01 00:00:00",,,,,,,,,,,"2024-06-01 00:00:00","2024-06-01 00:00:00",' +
    '"June news",beef01,1004,jkl012,,',
].join('\r\n');

// listmonk's subscriber export: uuid, email, name, attributes (JSON), status, created_at, updated_at.
export const LISTMONK_EXPORT = [
  'uuid,email,name,attributes,status,created_at,updated_at',
  'b6b7b4c2-0000-4000-8000-000000000001,kim@example.com,Kim Jong-un Park,' +
    '"{""city"":""Zürich"",""plan"":{""seats"":5,""tags"":[""a"",null,true]},""score"":4.5,""note"":null}",' +
    'enabled,2024-01-01 10:00:00.123+00,2024-02-01 10:00:00.456+00',
  'b6b7b4c2-0000-4000-8000-000000000002,blocked@example.com,Blocked,{},blocklisted,2024-01-02 00:00:00+00,2024-01-03 00:00:00+00',
  'b6b7b4c2-0000-4000-8000-000000000003,paused@example.com,,"{""🌍"":""ünïcode""}",disabled,2024-01-04 00:00:00+00,2024-01-04 00:00:00+00',
  'b6b7b4c2-0000-4000-8000-000000000004,broken@example.com,Broken,"[1,2]",enabled,2024-01-05 00:00:00+00,2024-01-05 00:00:00+00',
  'b6b7b4c2-0000-4000-8000-000000000005,notjson@example.com,Bad,{nope,enabled,2024-01-05 00:00:00+00,2024-01-05 00:00:00+00',
].join('\n');
