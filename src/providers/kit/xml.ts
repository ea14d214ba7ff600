/**
 * The few fields a provider reads from a verified XML document (Braintree's
 * notifications): the text of the root element's direct children. No XML
 * parser: a scan of tags with a depth count, enough for a sender's own
 * machine-written output; handlers get the whole XML for a full parse.
 *
 * @module
 */

const TAG_RE = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>/g
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" }

/**
 * The text of the first direct child of the root named in `names`, for each
 * name (a deeper element of the same name never counts), with the five
 * predefined entities decoded. Prolog, comments and CDATA are not expected.
 */
export function rootChildText(xml: string, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {}
  let depth = 0
  let open: { name: string; end: number } | undefined
  for (const match of xml.matchAll(TAG_RE)) {
    const [tag, closing, name, selfClosing] = match as unknown as [string, string, string, string]
    if (closing) {
      if (depth === 2 && open?.name === name && !(name in found))
        found[name] = xml.slice(open.end, match.index).replace(/&[a-z]+;/g, (e) => ENTITIES[e] ?? e)
      depth--
    } else if (!selfClosing) {
      depth++
      if (depth === 2 && names.includes(name)) open = { name, end: match.index + tag.length }
    }
  }
  return found
}
