#!/usr/bin/env node
// Checks the JSDoc that TypeDoc turns into the API reference (the entries of
// typedoc.json), with the TypeScript compiler API:
//
// - every exported function has a summary and an @example with a ``` fence;
// - every property of an options type has a doc comment, and every optional
//   one a @default (or @defaultValue) tag. Options types are the exported
//   types whose name ends in `Options`, and the parameter types of exported
//   functions whose name does. Properties typed `never` and `@internal` ones
//   are exempt; `@default none` says "no default" explicitly.
//
// `--examples` also type-checks every @example against the package (names the
// example uses but does not import are imported from the function's own
// entry). Placeholders (`app`, `handler` …) may stay undeclared: "cannot find
// name" and the implicit-any errors that follow from it are ignored, every
// other error (a wrong option name, a wrong type) is reported.
//
// Exit code 1 when anything is missing. Usage: node scripts/check-jsdoc.mjs [--examples]
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const root = resolve(import.meta.dirname, '..')
const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'))
const entries = typedoc.entryPoints.map((entry) => join(root, entry))
const checkExamples = process.argv.includes('--examples')

/** The import specifier users write for an entry file (`src/index.ts` → `hookguard`). */
function specifierOf(file) {
  const name = relative(root, file).replace(/\\/g, '/')
  if (name === 'src/index.ts') return 'hookguard'
  return `hookguard/${name.replace(/^(src|adapters)\//, '').replace(/\.ts$/, '')}`
}

function compilerOptions() {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  }
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, host)
  if (!parsed) fail('cannot read tsconfig.json')
  return { ...parsed.options, noEmit: true }
}

function fail(message) {
  console.error(`check-jsdoc: ${message}`)
  process.exit(2)
}

const options = compilerOptions()
const program = ts.createProgram({ rootNames: entries, options })
const checker = program.getTypeChecker()
const problems = []
const seenProperties = new Set()
const examples = []
let functionCount = 0
let propertyCount = 0

function where(node) {
  const source = node.getSourceFile()
  const { line } = source.getLineAndCharacterOfPosition(node.getStart())
  return `${relative(root, source.fileName)}:${line + 1}`
}

function ours(node) {
  const file = node.getSourceFile().fileName
  return (
    !file.includes('/node_modules/') && (file.startsWith(join(root, 'src')) || file.startsWith(join(root, 'adapters')))
  )
}

function tagText(tag) {
  return typeof tag.comment === 'string' ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? '')
}

/** The JSDoc blocks directly attached to a declaration (for a variable, its statement's). */
function docsOf(node) {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)
  return docs
}

function summaryOf(docs) {
  return docs
    .map((doc) => (typeof doc.comment === 'string' ? doc.comment : (ts.getTextOfJSDocComment(doc.comment) ?? '')))
    .join('')
    .trim()
}

function tagsOf(docs) {
  return docs.flatMap((doc) => [...(doc.tags ?? [])])
}

function isFunctionLike(symbol) {
  if (symbol.flags & ts.SymbolFlags.Function) return true
  if (!(symbol.flags & ts.SymbolFlags.Variable)) return false
  const init = symbol.valueDeclaration?.initializer
  return Boolean(init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)))
}

function checkFunction(name, symbol, entry) {
  const declarations = (symbol.declarations ?? []).filter(ours)
  if (declarations.length === 0) return
  functionCount++
  // Overloads: the docs may sit on any signature; TypeDoc shows each.
  const docs = declarations.flatMap(docsOf)
  const at = where(declarations[0])
  if (summaryOf(docs) === '') problems.push(`${at}: ${name}() has no JSDoc summary`)
  const found = tagsOf(docs).filter((tag) => tag.tagName.text === 'example')
  if (found.length === 0) problems.push(`${at}: ${name}() has no @example`)
  for (const tag of found) {
    const text = tagText(tag)
    const fence = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(text)
    if (!fence) problems.push(`${at}: ${name}()'s @example has no \`\`\`ts fence`)
    else examples.push({ name, at, entry, code: fence[1] })
  }
  if (found.length > 1) problems.push(`${at}: ${name}() has ${found.length} @example tags (one is enough)`)
}

function typeName(type) {
  return (type.aliasSymbol ?? type.symbol)?.getName()
}

/** The constituents of a parameter type that are options types (by name). */
function optionsTypes(type) {
  const parts = type.isUnion() ? type.types : [type]
  return parts.filter((part) => /Options$/.test(typeName(part) ?? ''))
}

function checkProperty(property, owner) {
  const declarations = (property.declarations ?? []).filter(ours)
  if (declarations.length === 0) return
  const declaration = declarations[0]
  const key = `${declaration.getSourceFile().fileName}:${declaration.pos}`
  if (seenProperties.has(key)) return
  seenProperties.add(key)
  propertyCount++
  const docs = declarations.flatMap(docsOf)
  const tags = tagsOf(docs).map((tag) => tag.tagName.text)
  if (tags.includes('internal')) return
  // `secret?: never` in one branch of a union only forbids the property there.
  if (declaration.type?.kind === ts.SyntaxKind.NeverKeyword) return
  const parent = declaration.parent
  const declaredIn =
    (ts.isInterfaceDeclaration(parent) || ts.isClassDeclaration(parent)) && parent.name ? parent.name.text : owner
  const label = `${where(declaration)}: ${declaredIn}.${property.getName()}`
  if (summaryOf(docs) === '' && tags.length === 0) problems.push(`${label} has no JSDoc`)
  const optional = (property.flags & ts.SymbolFlags.Optional) !== 0
  if (optional && !tags.includes('default') && !tags.includes('defaultValue'))
    problems.push(`${label} is optional but has no @default`)
}

function checkOptionsType(type, owner) {
  const parts = type.isUnion() ? type.types : [type]
  for (const part of parts) {
    for (const property of checker.getPropertiesOfType(part)) checkProperty(property, owner)
  }
}

const checkedTypes = new Set()
function checkOptionsOnce(type, owner) {
  if (checkedTypes.has(type)) return
  checkedTypes.add(type)
  checkOptionsType(type, owner)
}

for (const entry of entries) {
  const source = program.getSourceFile(entry)
  if (!source) fail(`entry ${relative(root, entry)} is not in the program`)
  const moduleSymbol = checker.getSymbolAtLocation(source)
  if (!moduleSymbol) continue
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const name = exported.getName()
    if (isFunctionLike(symbol)) {
      checkFunction(name, symbol, entry)
      const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
      if (!declaration || !ours(declaration)) continue
      for (const signature of checker.getSignaturesOfType(checker.getTypeOfSymbol(symbol), ts.SignatureKind.Call)) {
        for (const parameter of signature.getParameters()) {
          const type = checker.getNonNullableType(checker.getTypeOfSymbol(parameter))
          for (const part of optionsTypes(type)) checkOptionsOnce(part, typeName(part))
        }
      }
    } else if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && /Options$/.test(name)) {
      checkOptionsOnce(checker.getDeclaredTypeOfSymbol(symbol), name)
    }
  }
}

if (checkExamples) typeCheckExamples()

if (problems.length > 0) {
  console.error(problems.join('\n'))
  console.error(
    `\ncheck-jsdoc: ${problems.length} problem(s) (${functionCount} functions, ${propertyCount} option properties)`,
  )
  process.exit(1)
}
console.log(
  `check-jsdoc: ${functionCount} exported functions have a summary and an @example; ` +
    `${propertyCount} option properties are documented` +
    (checkExamples ? `; ${examples.length} examples type-check` : ''),
)

/** Type-checks each @example as its own module (see the header for what is tolerated). */
function typeCheckExamples() {
  // Names left undeclared on purpose (placeholders) and what follows from them.
  const TOLERATED = new Set([2304, 2552, 2582, 18004, 7005, 7006, 7031, 7034])
  const valueExports = new Map()
  for (const entry of entries) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry))
    const names = checker
      .getExportsOfModule(moduleSymbol)
      .filter((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value)
      .map((s) => s.getName())
    valueExports.set(entry, names)
  }
  const files = new Map()
  examples.forEach((example, index) => {
    const imported = new Set(
      [...example.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
        m[1].split(',').map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .pop(),
        ),
      ),
    )
    const missing = valueExports
      .get(example.entry)
      .filter((n) => !imported.has(n) && new RegExp(`\\b${n}\\b`).test(example.code))
    const head = missing.length > 0 ? `import { ${missing.join(', ')} } from '${specifierOf(example.entry)}'\n` : ''
    const file = join(root, `.jsdoc-example-${index}.ts`)
    files.set(file, { example, text: `${head}${example.code}\nexport {}\n`, offset: head ? 1 : 0 })
  })
  const host = ts.createCompilerHost(options)
  const read = host.readFile.bind(host)
  const exists = host.fileExists.bind(host)
  const getSource = host.getSourceFile.bind(host)
  host.readFile = (f) => files.get(resolve(f))?.text ?? read(f)
  host.fileExists = (f) => files.has(resolve(f)) || exists(f)
  host.getSourceFile = (f, ...rest) => {
    const own = files.get(resolve(f))
    return own ? ts.createSourceFile(f, own.text, ts.ScriptTarget.ES2022, true) : getSource(f, ...rest)
  }
  const exampleProgram = ts.createProgram({
    rootNames: [...files.keys()],
    options: { ...options, noUnusedLocals: false },
    host,
  })
  for (const [file, { example, offset }] of files) {
    const source = exampleProgram.getSourceFile(file)
    const diagnostics = [
      ...exampleProgram.getSyntacticDiagnostics(source),
      ...exampleProgram.getSemanticDiagnostics(source),
    ]
    for (const d of diagnostics) {
      if (TOLERATED.has(d.code)) continue
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line - offset + 1
      problems.push(
        `${example.at}: ${example.name}()'s @example, line ${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      )
    }
  }
  void dirname
}
