/** One problem found in an import file. */
export interface ImportIssue {
  file: string;
  /** 1-based row number, counting the header as row 1. */
  row: number;
  column?: string;
  /** The problem and its fix as a sentence, such as `"12x" is not a whole number; use digits only.` */
  message: string;
}

/** The number of issues printed before the rest are only counted. */
export const MAX_ISSUES_SHOWN = 50;

/** Formats an issue as `skus.csv row 7, column backorder_limit: "12x" is not a whole number; …`. */
export function formatIssue(issue: ImportIssue): string {
  const column = issue.column === undefined ? '' : `, column ${issue.column}`;
  return `${issue.file} row ${issue.row}${column}: ${issue.message}`;
}

/** Formats the first `max` issues, one a line, in file and row order, and counts the rest. */
export function formatIssues(issues: readonly ImportIssue[], max = MAX_ISSUES_SHOWN): string[] {
  const lines = sortIssues(issues).slice(0, max).map(formatIssue);
  if (issues.length > max) lines.push(`… and ${issues.length - max} more problems.`);
  return lines;
}

function sortIssues(issues: readonly ImportIssue[]): ImportIssue[] {
  const files = [...new Set(issues.map((issue) => issue.file))];
  return [...issues].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.row - b.row);
}

/** Thrown inside the import transaction when the engine rejects a row, so that nothing is written. */
export class ImportRejected extends Error {
  constructor(readonly issues: ImportIssue[]) {
    super(`The import was rejected with ${issues.length} problems; nothing was written.`);
    this.name = 'ImportRejected';
  }
}

/** Quotes a cell value for a message, showing an empty cell as `""`. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
