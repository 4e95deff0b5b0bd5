// Watches a live table's steps and records what a gap, a repeat or a reorder would look like (the JavaScript twin of
// the .NET suite's LiveTableAudit): a transaction step not ending with tx_end, an offset not after the previous one,
// an INSERT of a row already held, an UPDATE or DELETE whose old version is not the one held, a version going back.
export class LiveTableAudit {
  constructor(live) {
    this.held = new Map();
    this.highest = new Map();
    this.violations = [];
    this.snapshots = 0;
    this.transactions = 0;
    this.lastOffset = undefined;
    live.subscribe((event) => this.check(event));
  }

  check(event) {
    if (event.reason === 'resync') return;
    if (event.reason !== 'transaction') {
      this.snapshots++;
      this.held.clear();
      for (const [id, row] of event.rows) {
        this.held.set(id, row.version);
        this.forward(id, row.version, event.reason);
      }
      this.lastOffset = undefined;
      return;
    }
    this.transactions++;
    const changes = event.changes;
    if (!changes[changes.length - 1].txEnd) this.violate(`a transaction step ends without tx_end at ${changes[changes.length - 1].offset}`);
    for (const change of changes) {
      if (this.lastOffset !== undefined && change.offset <= this.lastOffset) this.violate(`offset ${change.offset} after ${this.lastOffset}`);
      this.lastOffset = change.offset;
      switch (change.type) {
        case 'INSERT':
          if (this.held.has(change.record.id)) this.violate(`INSERT of held id ${change.record.id} at ${change.offset}`);
          this.held.set(change.record.id, change.record.version);
          this.forward(change.record.id, change.record.version, change.offset);
          break;
        case 'UPDATE':
        case 'DELETE': {
          const old = change.oldRecord;
          if (this.held.get(old.id) !== old.version)
            this.violate(`${change.type} of id ${old.id} from version ${old.version}, held ${this.held.get(old.id) ?? 'nothing'} at ${change.offset}`);
          this.held.delete(old.id);
          if (change.type === 'UPDATE') {
            this.held.set(change.record.id, change.record.version);
            this.forward(change.record.id, change.record.version, change.offset);
          }
          break;
        }
        case 'TRUNCATE':
          this.held.clear();
          break;
      }
    }
  }

  forward(id, version, where) {
    const highest = this.highest.get(id);
    if (highest !== undefined && version < highest) this.violate(`id ${id} went back from version ${highest} to ${version} (${where})`);
    else this.highest.set(id, version);
  }

  violate(message) {
    if (this.violations.length < 30) this.violations.push(message);
  }
}
