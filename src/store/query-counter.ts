/**
 * Counts the statements run and the rows they returned or changed. Tests use
 * it to show that a use case touches a bounded number of rows.
 */
export class QueryCounter {
  statements = 0;
  rowsReturned = 0;
  rowsChanged = 0;
  readonly log: { sql: string; returned: number; changed: number }[] = [];
  enabled = false;

  record(sql: string, returned: number, changed: number): void {
    if (!this.enabled) return;
    this.statements += 1;
    this.rowsReturned += returned;
    this.rowsChanged += changed;
    this.log.push({ sql, returned, changed });
  }

  reset(): void {
    this.statements = 0;
    this.rowsReturned = 0;
    this.rowsChanged = 0;
    this.log.length = 0;
  }
}
