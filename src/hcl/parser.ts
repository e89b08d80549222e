/**
 * The tree-sitter HCL parser (web-tree-sitter + @tree-sitter-grammars/tree-sitter-hcl wasm).
 * Loading the wasm is async and costs a few milliseconds, so one `HclParser` is created per
 * process (by the composition root or lazily by `editHcl`) and reused.
 *
 * Node positions (`startIndex`/`endIndex`) are UTF-16 offsets into the JS string, not bytes:
 * callers must slice the string, never a Buffer (PROTOCOLS.md §3).
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

export type { Node as HclNode } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

// A pure cache of the immutable grammar: Parser.init() and the wasm load happen once per process.
let grammar: Promise<Language> | undefined;

function loadGrammar(): Promise<Language> {
  grammar ??= Parser.init().then(() =>
    Language.load(require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm')),
  );
  return grammar;
}

export class HclParser {
  private constructor(private readonly parser: Parser) {}

  /** Loads the grammar (cached per process). @throws when the wasm cannot be loaded. */
  static async create(): Promise<HclParser> {
    const language = await loadGrammar();
    const parser = new Parser();
    parser.setLanguage(language);
    return new HclParser(parser);
  }

  /**
   * Parses `src` and hands the root to `use`; the tree's wasm memory is freed afterwards, so
   * nodes must not escape `use`. Returns undefined from `use`'s point of view on a syntax error
   * only if `use` checks `root.hasError` itself.
   */
  withTree<T>(src: string, use: (root: Node) => T): T {
    const tree: Tree | null = this.parser.parse(src);
    if (tree === null) throw new Error('tree-sitter returned no tree');
    try {
      return use(tree.rootNode);
    } finally {
      tree.delete();
    }
  }
}

/** Named children, without the nulls web-tree-sitter's typing allows. */
export function kids(node: Node): Node[] {
  return node.namedChildren.filter((n): n is Node => n !== null);
}
