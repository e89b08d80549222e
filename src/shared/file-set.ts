/** A deployment's configuration files' contents by file name (relative to the run dir). */
export type FileSet = Record<string, string>;
