/**
 * Schema migrations, applied in order once each. Never edit a released
 * migration: add a new one.
 */
export interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- Outbound (MT) messages: one row per accepted message, whatever the dialect.
      CREATE TABLE messages (
        id              TEXT PRIMARY KEY,
        user            TEXT NOT NULL,
        dialect         TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        text            TEXT NOT NULL,
        status          TEXT NOT NULL,
        parts_estimate  INTEGER NOT NULL,
        encoding        TEXT NOT NULL,
        concat_ref      INTEGER NOT NULL,
        callback_url    TEXT,
        meta            TEXT NOT NULL DEFAULT '{}',
        connector_id    TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        error_code      TEXT,
        error_text      TEXT,
        carrier_status  TEXT,
        carrier_error   TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        submitted_at    INTEGER,
        done_at         INTEGER,
        expires_at      INTEGER
      );
      CREATE INDEX messages_pending ON messages (status, next_attempt_at) WHERE status = 'accepted';
      CREATE INDEX messages_created ON messages (created_at);
      CREATE INDEX messages_user ON messages (user, created_at);

      -- Parts as planned for the connector that took the message; receipts land here.
      CREATE TABLE message_parts (
        message_id      TEXT NOT NULL REFERENCES messages (id),
        part_no         INTEGER NOT NULL,
        parts_total     INTEGER NOT NULL,
        connector_id    TEXT NOT NULL,
        carrier_id      TEXT,
        carrier_id_norm TEXT,
        status          TEXT NOT NULL,
        carrier_status  TEXT,
        carrier_error   TEXT,
        submitted_at    INTEGER,
        done_at         INTEGER,
        PRIMARY KEY (message_id, part_no)
      ) WITHOUT ROWID;
      CREATE INDEX message_parts_carrier ON message_parts (connector_id, carrier_id_norm);

      -- Receipts that arrived before their submit_sm_resp was stored (or never matched).
      CREATE TABLE unmatched_receipts (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        connector_id    TEXT NOT NULL,
        carrier_id      TEXT NOT NULL,
        event           TEXT NOT NULL,
        received_at     INTEGER NOT NULL
      );
      CREATE INDEX unmatched_receipts_carrier ON unmatched_receipts (connector_id, carrier_id);

      -- Inbound (MO) messages, after reassembly.
      CREATE TABLE inbound_messages (
        id              TEXT PRIMARY KEY,
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        text            TEXT NOT NULL,
        parts_total     INTEGER NOT NULL,
        complete        INTEGER NOT NULL,
        received_at     INTEGER NOT NULL
      );
      CREATE INDEX inbound_messages_received ON inbound_messages (received_at);

      -- Parts of concatenated inbound messages waiting for their siblings.
      CREATE TABLE inbound_fragments (
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        reference       INTEGER NOT NULL,
        total           INTEGER NOT NULL,
        seq             INTEGER NOT NULL,
        data_coding     INTEGER NOT NULL,
        payload         BLOB NOT NULL,
        received_at     INTEGER NOT NULL,
        PRIMARY KEY (connector_id, sender, recipient, reference, total, seq)
      ) WITHOUT ROWID;

      -- Every outbound HTTP notification/callback, delivered in order per order_key.
      CREATE TABLE webhooks (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        order_key       TEXT NOT NULL,
        kind            TEXT NOT NULL,
        url             TEXT NOT NULL,
        method          TEXT NOT NULL DEFAULT 'POST',
        content_type    TEXT NOT NULL,
        headers         TEXT NOT NULL DEFAULT '{}',
        body            TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        delivered_at    INTEGER,
        last_status     INTEGER,
        last_error      TEXT
      );
      CREATE INDEX webhooks_pending ON webhooks (order_key, id) WHERE state = 'pending';
      CREATE INDEX webhooks_state ON webhooks (state, id);
    `,
  },
  {
    version: 2,
    sql: `
      -- One numeric id per message, outbound and inbound, from one sequence: dialects whose ids are
      -- numbers (Voximplant message_id, Acrobits sms_id) use it, and history is ordered by it.
      -- Triggers fill it in the inserting transaction, whichever code path inserts the message.
      CREATE TABLE message_seq (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        message_id      TEXT NOT NULL,
        UNIQUE (direction, message_id)
      );
      INSERT INTO message_seq (direction, message_id) SELECT 'out', id FROM messages ORDER BY created_at, id;
      INSERT INTO message_seq (direction, message_id) SELECT 'in', id FROM inbound_messages ORDER BY received_at, id;
      CREATE TRIGGER messages_seq AFTER INSERT ON messages BEGIN
        INSERT INTO message_seq (direction, message_id) VALUES ('out', NEW.id);
      END;
      CREATE TRIGGER inbound_messages_seq AFTER INSERT ON inbound_messages BEGIN
        INSERT INTO message_seq (direction, message_id) VALUES ('in', NEW.id);
      END;
      -- A user's inbound history is selected by the numbers they own.
      CREATE INDEX inbound_messages_recipient ON inbound_messages (recipient, received_at);

      -- SMS switched on or off per number (Voximplant ControlSms); no row: enabled.
      CREATE TABLE number_settings (
        number          TEXT PRIMARY KEY,
        sms_enabled     INTEGER NOT NULL,
        updated_by      TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- SMS parts charged to a user's quota per UTC day ('day:2026-11-22') and month ('month:2026-11').
      CREATE TABLE quota_usage (
        user            TEXT NOT NULL,
        period          TEXT NOT NULL,
        parts           INTEGER NOT NULL,
        PRIMARY KEY (user, period)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Issue 6 (IOVOX, contacts, e-mail alerts, SMS-to-voice failover).
    version: 3,
    sql: `
      -- Messages with a deadline (IOVOX <expiry>) that are not final yet: the expiry watcher's work list.
      CREATE INDEX messages_expiring ON messages (expires_at)
        WHERE expires_at IS NOT NULL AND status IN ('accepted', 'submitted', 'buffered');

      -- The address book: used by IOVOX sendSms rules and Ozeki's ListAddressbook* commands.
      -- rowid order is creation order ("the first Contact which matches this name").
      CREATE TABLE contacts (
        id               TEXT PRIMARY KEY,
        display_name     TEXT NOT NULL,
        phone_numbers    TEXT NOT NULL DEFAULT '[]',
        primary_emails   TEXT NOT NULL DEFAULT '[]',
        secondary_emails TEXT NOT NULL DEFAULT '[]',
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      );
      CREATE INDEX contacts_name ON contacts (display_name COLLATE NOCASE);

      -- SMS that ended failed/expired and carry a failover link: calls for the voice runtime to place.
      CREATE TABLE sms_failovers (
        message_id      TEXT PRIMARY KEY REFERENCES messages (id),
        link_id         TEXT NOT NULL,
        origin          TEXT NOT NULL,
        destination     TEXT NOT NULL,
        content         TEXT NOT NULL,
        sms_status      TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending',
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sms_failovers_pending ON sms_failovers (created_at) WHERE state = 'pending';

      -- Outbound e-mail (SMS alerts): stored with the status change that caused it, retried until sent.
      CREATE TABLE emails (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        kind            TEXT NOT NULL,
        recipients      TEXT NOT NULL,
        sender          TEXT NOT NULL,
        subject         TEXT NOT NULL,
        text            TEXT NOT NULL,
        html            TEXT,
        state           TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        sent_at         INTEGER,
        last_error      TEXT
      );
      CREATE INDEX emails_pending ON emails (next_attempt_at) WHERE state = 'pending';
    `,
  },
  {
    // Issue 4 (OzML runtime): Ozeki's ListCallHistory.
    version: 4,
    sql: `
      -- One row per finished call, inbound or outbound, written when the dialog ends.
      CREATE TABLE call_history (
        call_id         TEXT PRIMARY KEY,
        direction       TEXT NOT NULL,
        source          TEXT NOT NULL,
        caller_id       TEXT NOT NULL,
        destination     TEXT NOT NULL,
        dialed          TEXT NOT NULL,
        state           TEXT NOT NULL,
        end_reason      TEXT NOT NULL,
        start_time      INTEGER NOT NULL,
        answered_at     INTEGER,
        ended_at        INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX call_history_start ON call_history (start_time);
    `,
  },
  {
    // Issue 6: SMS-to-voice failover calls are placed and retried from sms_failovers
    // (pending → calling → done | failed; back to pending with a later next_attempt_at when a call fails).
    version: 5,
    sql: `
      ALTER TABLE sms_failovers ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sms_failovers ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sms_failovers ADD COLUMN last_error TEXT;
      DROP INDEX sms_failovers_pending;
      CREATE INDEX sms_failovers_due ON sms_failovers (next_attempt_at) WHERE state = 'pending';
    `,
  },
  {
    // Issue 15: concatenated inbound groups already delivered, remembered for the reassembly window, so a
    // part the SMSC sends again (its deliver_sm_resp was lost) does not start a second, partial message.
    version: 6,
    sql: `
      CREATE TABLE inbound_completed_groups (
        connector_id    TEXT NOT NULL,
        sender          TEXT NOT NULL,
        recipient       TEXT NOT NULL,
        reference       INTEGER NOT NULL,
        total           INTEGER NOT NULL,
        completed_at    INTEGER NOT NULL,
        PRIMARY KEY (connector_id, sender, recipient, reference, total)
      ) WITHOUT ROWID;
      CREATE INDEX inbound_completed_groups_age ON inbound_completed_groups (completed_at);
    `,
  },
  {
    // Issue 14: the API user whose request chose a callback's URL, for that user's egress allow-list.
    version: 7,
    sql: `ALTER TABLE webhooks ADD COLUMN owner TEXT;`,
  },
  {
    // Issue 15: messages still waiting for their delivery report, per connector, for the report timeout.
    version: 8,
    sql: `CREATE INDEX messages_awaiting_report ON messages (connector_id, submitted_at) WHERE status IN ('submitted', 'buffered');`,
  },
  {
    // Issue 15: a part went out, no reference came back, and it was sent again: the recipient may have it twice.
    version: 9,
    sql: `ALTER TABLE messages ADD COLUMN possible_duplicate INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // Issue 20: the SMPP server — parts of long submits until their siblings arrive, and the deliver_sm
    // (receipts, inbound SMS) owed to each client until it acknowledges them.
    version: 10,
    sql: `
      CREATE TABLE smpp_submit_parts (
        system_id           TEXT NOT NULL,
        sender              TEXT NOT NULL,
        recipient           TEXT NOT NULL,
        reference           INTEGER NOT NULL,
        total               INTEGER NOT NULL,
        seq                 INTEGER NOT NULL,
        part_id             TEXT NOT NULL,
        data_coding         INTEGER NOT NULL,
        payload             BLOB NOT NULL,
        registered_delivery INTEGER NOT NULL,
        received_at         INTEGER NOT NULL,
        PRIMARY KEY (system_id, sender, recipient, reference, total, seq)
      ) WITHOUT ROWID;
      CREATE INDEX smpp_submit_parts_age ON smpp_submit_parts (received_at);
      CREATE TABLE smpp_deliveries (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        system_id       TEXT NOT NULL,
        order_key       TEXT NOT NULL,
        kind            TEXT NOT NULL,
        fields          TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at      INTEGER NOT NULL
      );
      CREATE INDEX smpp_deliveries_client ON smpp_deliveries (system_id, id);
    `,
  },
  {
    // Issue 17: which node works on an unfinished message or a pending callback (the same columns as
    // PostgreSQL's, where several nodes share the work; one SQLite node never reads them).
    version: 11,
    sql: `
      ALTER TABLE messages ADD COLUMN claimed_by TEXT;
      ALTER TABLE webhooks ADD COLUMN claimed_by TEXT;
      ALTER TABLE sms_failovers ADD COLUMN claimed_by TEXT;
    `,
  },
  {
    // Issue 21, the operator console: a message's history (every part status as the carrier gave it, every status
    // step, every retry) appended as JSON lines in the statement that changes the message; every callback attempt
    // with its answer; callbacks found by the message they belong to (order_key is the message id).
    version: 12,
    sql: `
      ALTER TABLE messages ADD COLUMN events TEXT NOT NULL DEFAULT '';
      ALTER TABLE webhooks ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '';
      CREATE INDEX webhooks_order_key ON webhooks (order_key);
    `,
  },
  {
    // Issue 19, Ozeki's ReceiveMessage: which received messages a user has downloaded (AfterDownload=delete or
    // mark), per user, so the inbox returns each once and the message itself stays in every history.
    version: 13,
    sql: `
      CREATE TABLE inbox_downloads (
        "user"          TEXT NOT NULL,
        message_id      TEXT NOT NULL REFERENCES inbound_messages (id) ON DELETE CASCADE,
        state           TEXT NOT NULL,
        at              INTEGER NOT NULL,
        PRIMARY KEY ("user", message_id)
      );
      CREATE INDEX inbox_downloads_message ON inbox_downloads (message_id);
    `,
  },
  {
    // Issue 19: IOVOX call flows uploaded over the API (createCallFlow …), one name per user.
    version: 14,
    sql: `
      CREATE TABLE call_flows (
        "user"          TEXT NOT NULL,
        name            TEXT NOT NULL,
        notes           TEXT NOT NULL,
        xml             TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        PRIMARY KEY ("user", name)
      );
    `,
  },
  {
    // Issue 18: a message row's version, raised by every status write, so the status writer can write a message it
    // already holds (the one the outbox sent) only if nothing changed it since: one read fewer a message (decision
    // 0111).
    version: 15,
    sql: `ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // Issue 18: the callbacks' (state, id) index was written twice by every callback (stored pending, then delivered)
    // for queries that look only for dead letters, or (retention) for delivered rows in id order, which the table's
    // own order gives. One B-tree fewer written a callback, and one page fewer in every commit at a steady rate.
    version: 16,
    sql: `
      DROP INDEX webhooks_state;
      CREATE INDEX webhooks_dead ON webhooks (id) WHERE state = 'dead';
    `,
  },
  {
    // Scheduled sending (SMPP schedule_delivery_time, decision 0144): the time a message is to go at, null for "at
    // once". The outbox holds a scheduled message in memory only once it is due within its horizon and reads the
    // next ones in send-time order (messages_scheduled); the stale sweep counts a message's age from it.
    version: 17,
    sql: `
      ALTER TABLE messages ADD COLUMN send_at INTEGER;
      CREATE INDEX messages_scheduled ON messages (send_at, id) WHERE status = 'accepted' AND send_at IS NOT NULL;
    `,
  },
];
