// The closed set of reasons a collector can fail. The probe maps each to a CollectorStatus.

export class CollectorError extends Error {
  override readonly name: string = 'CollectorError';
  readonly status: 'failed' | 'unsupported' | 'needs-privilege' | 'timeout' = 'failed';
}

/** Output that does not have the expected shape, or is too large, or hostile. */
export class ParseError extends CollectorError {
  override readonly name = 'ParseError';
}

/** The tool the collector needs is absent on this host (exit 127, no such file). */
export class UnsupportedError extends CollectorError {
  override readonly name = 'UnsupportedError';
  override readonly status = 'unsupported';
}

/** The essential command needs root and the credential has no (working) sudo. */
export class NeedsPrivilegeError extends CollectorError {
  override readonly name = 'NeedsPrivilegeError';
  override readonly status = 'needs-privilege';
}

/** A section was cut off by its time limit. */
export class SectionTimeoutError extends CollectorError {
  override readonly name = 'SectionTimeoutError';
  override readonly status = 'timeout';
}
