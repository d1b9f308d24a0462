// The package's API reference, docs/api.md, generated from the declarations and JSDoc of what
// lib/index.ts exports, so it cannot drift from the code: `npm run docs:api` writes it, and
// test/unit/scripts/api-docs.test.ts fails when it is out of date or a prop lacks its JSDoc.
// It reads the sources syntactically (no type checker): fast, and the types print as written.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'lib', 'index.ts');
export const API_DOC = path.join(ROOT, 'docs', 'api.md');

interface Doc {
  readonly text: string;
  readonly defaultValue?: string;
}

export interface ApiProperty {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly doc?: Doc;
}

export interface ApiInterface {
  readonly kind: 'interface';
  readonly name: string;
  readonly extends: readonly string[];
  readonly doc?: Doc;
  readonly properties: readonly ApiProperty[];
}

export interface ApiClass {
  readonly kind: 'class';
  readonly name: string;
  readonly extends?: string;
  readonly doc?: Doc;
  readonly constructorParams: readonly string[];
  readonly members: readonly ApiProperty[];
}

export interface ApiOther {
  readonly kind: 'function' | 'type' | 'const';
  readonly name: string;
  readonly signature: string;
  readonly doc?: Doc;
}

export type ApiExport = ApiInterface | ApiClass | ApiOther;

const oneLine = (text: string) =>
  text
    .replace(/\{@link\s+([^}\s]+)\s*\}/g, '`$1`')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

function docOf(node: ts.Node): Doc | undefined {
  const jsDoc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1);
  if (!jsDoc) return undefined;
  const text = oneLine(ts.getTextOfJSDocComment(jsDoc.comment) ?? '');
  const tag = jsDoc.tags?.find((t) => t.tagName.text === 'default');
  const defaultValue = tag ? oneLine(ts.getTextOfJSDocComment(tag.comment) ?? '') : undefined;
  return { text, ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

const hasModifier = (node: ts.Node, kind: ts.SyntaxKind) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);

function propertyOf(node: ts.PropertySignature | ts.PropertyDeclaration, source: ts.SourceFile): ApiProperty {
  const doc = docOf(node);
  return {
    name: node.name.getText(source),
    type: node.type ? oneLine(node.type.getText(source)) : 'unknown',
    optional: node.questionToken !== undefined,
    ...(doc ? { doc } : {}),
  };
}

function describe(node: ts.Statement, source: ts.SourceFile): ApiExport[] {
  const doc = docOf(node);
  const withDoc = doc ? { doc } : {};
  if (ts.isInterfaceDeclaration(node)) {
    return [
      {
        kind: 'interface',
        name: node.name.text,
        extends: (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.getText(source))),
        properties: node.members.filter(ts.isPropertySignature).map((m) => propertyOf(m, source)),
        ...withDoc,
      },
    ];
  }
  if (ts.isClassDeclaration(node) && node.name) {
    const ctor = node.members.find(ts.isConstructorDeclaration);
    const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    return [
      {
        kind: 'class',
        name: node.name.text,
        ...(base ? { extends: base.getText(source) } : {}),
        constructorParams: (ctor?.parameters ?? []).map(
          (p) =>
            `${p.name.getText(source)}${p.questionToken || p.initializer ? '?' : ''}: ${p.type?.getText(source) ?? 'unknown'}`,
        ),
        members: node.members
          .filter(ts.isPropertyDeclaration)
          .filter(
            (m) =>
              hasModifier(m, ts.SyntaxKind.ReadonlyKeyword) &&
              !hasModifier(m, ts.SyntaxKind.PrivateKeyword) &&
              !hasModifier(m, ts.SyntaxKind.ProtectedKeyword) &&
              !hasModifier(m, ts.SyntaxKind.StaticKeyword) &&
              !ts.isPrivateIdentifier(m.name),
          )
          .map((m) => propertyOf(m, source)),
        ...withDoc,
      },
    ];
  }
  if (ts.isFunctionDeclaration(node) && node.name) {
    const params = node.parameters.map((p) => oneLine(p.getText(source))).join(', ');
    const returns = node.type ? `: ${oneLine(node.type.getText(source))}` : '';
    return [
      { kind: 'function', name: node.name.text, signature: `${node.name.text}(${params})${returns}`, ...withDoc },
    ];
  }
  if (ts.isTypeAliasDeclaration(node)) {
    return [{ kind: 'type', name: node.name.text, signature: oneLine(node.type.getText(source)), ...withDoc }];
  }
  if (ts.isVariableStatement(node)) {
    return node.declarationList.declarations.map((d) => ({
      kind: 'const',
      name: d.name.getText(source),
      signature: d.type ? oneLine(d.type.getText(source)) : '',
      ...withDoc,
    }));
  }
  return [];
}

const sourceCache = new Map<string, ts.SourceFile>();
function sourceOf(file: string): ts.SourceFile {
  let source = sourceCache.get(file);
  if (!source) {
    source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    sourceCache.set(file, source);
  }
  return source;
}

const isExported = (node: ts.Statement) => hasModifier(node, ts.SyntaxKind.ExportKeyword);

/** The exported declarations of `file`, following `export *` and `export { ... } from`. */
function exportsOf(file: string): ApiExport[] {
  const source = sourceOf(file);
  const found: ApiExport[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const target = path.resolve(path.dirname(file), `${(statement.moduleSpecifier as ts.StringLiteral).text}.ts`);
      const all = exportsOf(target);
      const clause = statement.exportClause;
      if (clause === undefined) found.push(...all);
      else if (ts.isNamedExports(clause)) {
        const names = new Set(clause.elements.map((e) => (e.propertyName ?? e.name).text));
        found.push(...all.filter((e) => names.has(e.name)));
      }
    } else if (isExported(statement)) {
      found.push(...describe(statement, source));
    }
  }
  return found;
}

/** Everything the package entry exports, without duplicates, in source order. */
export function apiExports(): ApiExport[] {
  const seen = new Set<string>();
  return exportsOf(ENTRY).filter((e) => !seen.has(e.name) && seen.add(e.name));
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => (text === '' ? '' : `\`${cell(text)}\``);

function propsTable(properties: readonly ApiProperty[]): string[] {
  return [
    '| Prop | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...properties.map(
      (p) =>
        `| \`${p.name}\`${p.optional ? '' : ' (required)'} | ${code(p.type)} | ${p.optional ? cell(p.doc?.defaultValue ?? '') : ''} | ${cell(p.doc?.text ?? '')} |`,
    ),
  ];
}

function membersTable(members: readonly ApiProperty[]): string[] {
  if (members.length === 0) return [];
  return [
    '',
    '| `public readonly` | Type | Description |',
    '| --- | --- | --- |',
    ...members.map(
      (m) => `| \`${m.name}\`${m.optional ? ' (optional)' : ''} | ${code(m.type)} | ${cell(m.doc?.text ?? '')} |`,
    ),
  ];
}

/** docs/api.md's text. */
export function renderApiDoc(): string {
  const all = apiExports();
  const interfaces = new Map(all.filter((e): e is ApiInterface => e.kind === 'interface').map((e) => [e.name, e]));
  const isError = (c: ApiClass) => c.extends?.endsWith('Error') === true;
  const classes = all.filter((e): e is ApiClass => e.kind === 'class' && !isError(e));
  const errors = all.filter((e): e is ApiClass => e.kind === 'class' && isError(e));
  // The pipeline first: it is what most users need; then the stack; then its pieces.
  const rank = (c: ApiClass) => (c.name === 'VoltWebhookPipeline' ? 0 : c.name === 'VoltWebhooksStack' ? 1 : 2);
  classes.sort((a, b) => rank(a) - rank(b));
  const documented = new Set<string>();
  const lines = [
    '# API reference',
    '',
    '<!-- Generated by `npm run docs:api` from the JSDoc of what lib/index.ts exports; edit the code, not this file. -->',
    '',
    "Everything below is exported by the package entry: `import { ... } from 'volt-sms-webhooks'`.",
    'How to install the package and add the pipeline to an app: the README, section',
    '"Using the pipeline in your own CDK app", and [examples/existing-app](../examples/existing-app).',
    '',
    '## Constructs',
  ];
  for (const c of classes) {
    lines.push('', `### \`${c.name}\``, '');
    if (c.doc?.text) lines.push(c.doc.text, '');
    lines.push(`\`new ${c.name}(${c.constructorParams.join(', ')})\`${c.extends ? `, extends \`${c.extends}\`` : ''}`);
    lines.push(...membersTable(c.members));
    const propsType = c.constructorParams
      .map((p) => /^props\??: (\w+)$/.exec(p)?.[1])
      .find((t) => t !== undefined && interfaces.has(t));
    const props = propsType ? interfaces.get(propsType) : undefined;
    if (props) {
      documented.add(props.name);
      lines.push('', `#### \`${props.name}\``, '');
      if (props.extends.length > 0) lines.push(`Also every prop of \`${props.extends.join('`, `')}\`.`, '');
      lines.push(...propsTable(props.properties));
    }
  }
  if (errors.length > 0) lines.push('', '## Errors', '');
  for (const e of errors)
    lines.push(`- \`${e.name}\` (extends \`${e.extends}\`)${e.doc?.text ? `: ${e.doc.text}` : ''}`);
  const otherInterfaces = [...interfaces.values()].filter((i) => !documented.has(i.name));
  if (otherInterfaces.length > 0) lines.push('', '## Other interfaces');
  for (const i of otherInterfaces) {
    lines.push('', `### \`${i.name}\``, '');
    if (i.doc?.text) lines.push(i.doc.text, '');
    lines.push(...propsTable(i.properties));
  }
  const functions = all.filter((e): e is ApiOther => e.kind === 'function');
  if (functions.length > 0) lines.push('', '## Functions', '');
  for (const f of functions) lines.push(`- \`${f.signature}\`${f.doc?.text ? `: ${f.doc.text}` : ''}`);
  const values = all.filter((e): e is ApiOther => e.kind === 'type' || e.kind === 'const');
  if (values.length > 0) lines.push('', '## Types and constants', '');
  for (const v of values) {
    const signature = v.kind === 'type' ? `type ${v.name} = ${v.signature}` : v.name;
    lines.push(`- \`${signature}\`${v.doc?.text ? `: ${v.doc.text}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  writeFileSync(API_DOC, renderApiDoc());
  console.log(`wrote ${path.relative(ROOT, API_DOC)}`);
}
