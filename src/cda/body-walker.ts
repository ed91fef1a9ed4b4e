import { all, childrenNamed, templateIds } from './cda-node';
import { isNegated, type MappingContext } from './mapping-context';
import { CLINICAL_STATEMENTS, moodOf } from './mappers/entry-mapper';
import { eventMapperIgnoringMood, findMapper, isPlanSection } from './mappers/registry';
import { otherSubject, statementRefusal } from './statement-guards';
import type { XmlNode } from './xml-tree';

interface Location {
  topSection: XmlNode;
  section: XmlNode;
  path: string;
}

/**
 * Walks structuredBody sections recursively and hands each entry's clinical statement to the first mapper
 * whose templateIds match. A statement no mapper knows (a concern act, an XD-LAB wrapper act) is opened and its
 * entryRelationship/component statements are tried in turn. What nothing represents is recorded by name in
 * `ctx.unmapped` (section, statement, templateIds, count): never silently dropped.
 */
export function walkBody(doc: XmlNode, ctx: MappingContext): void {
  all(doc, 'component/structuredBody/component/section').forEach((section, i) => walkSection(section, section, `s${i + 1}`, ctx));
}

function walkSection(section: XmlNode, topSection: XmlNode, path: string, ctx: MappingContext, aboutOther?: string): void {
  // A section with its own subject (a newborn's, a fetus's, a relative's section) speaks of someone else throughout.
  const subject = aboutOther ?? otherSubject(section);
  if (subject !== undefined && aboutOther === undefined) ctx.warnings.push(`Section ${path}: its subject is not the patient (${subject}); its entries are not represented`);
  childrenNamed(section, 'entry').forEach((entry, j) => {
    entry.children
      .filter((c) => CLINICAL_STATEMENTS.has(c.name))
      .forEach((statement, k, statements) => {
        const location = { topSection, section, path: `${path}.e${j + 1}${statements.length > 1 ? `.${k + 1}` : ''}` };
        if (subject !== undefined || !dispatch(statement, location, ctx)) ctx.unmapped.add(section, statement, location.path);
      });
  });
  all(section, 'component/section').forEach((sub, k) => walkSection(sub, topSection, `${path}.s${k + 1}`, ctx, subject));
}

/**
 * Maps a statement; true when a mapper took it (a mapper that deliberately represents nothing, such as a stated
 * absence, says so in a warning). An unknown wrapper counts as mapped when something inside it was; its other inner
 * statements are then recorded as unmapped one by one, and when nothing inside was, the caller records the wrapper.
 */
function dispatch(statement: XmlNode, location: Location, ctx: MappingContext): boolean {
  const mapper = findMapper(templateIds(statement), statement, isPlanSection(location.section) || isPlanSection(location.topSection));
  const refusal = statementRefusal(statement, { uncertaintyRead: mapper?.readsUncertainty });
  if (refusal !== undefined) {
    ctx.warnings.push(`Entry ${location.path}: ${refusal}; not represented`);
    return false;
  }
  if (mapper) {
    mapper.map(statement, location, ctx);
    return true;
  }
  const asEvent = moodOf(statement) === 'EVN' ? undefined : eventMapperIgnoringMood(templateIds(statement), statement);
  if (asEvent) {
    ctx.warnings.push(`Entry ${location.path}: ${asEvent.name} in mood ${moodOf(statement)} (intended, requested, proposed or a goal), not one that took place; not represented`);
    return false;
  }
  // A wrapper no mapper knows carries its meaning to what it holds: inside a negated one (a concern "not" held) or one
  // in another mood (a planned act), the statements were mapped as the patient's facts, done and positive.
  const wrapperMeaning = isNegated(statement) ? 'negated (negationInd="true")' : moodOf(statement) !== 'EVN' ? `in mood ${moodOf(statement)}` : undefined;
  if (wrapperMeaning !== undefined && hasInnerStatements(statement)) {
    ctx.warnings.push(`Entry ${location.path}: wrapping ${statement.name} ${wrapperMeaning}; the statements it holds would be read as facts; not represented`);
    return false;
  }
  const inner: { node: XmlNode; location: Location; handled: boolean }[] = [];
  let k = 0;
  for (const relation of [...childrenNamed(statement, 'entryRelationship'), ...childrenNamed(statement, 'component')]) {
    for (const node of relation.children.filter((c) => CLINICAL_STATEMENTS.has(c.name))) {
      k++;
      const innerLocation = { ...location, path: `${location.path}.r${k}` };
      inner.push({ node, location: innerLocation, handled: dispatch(node, innerLocation, ctx) });
    }
  }
  if (!inner.some((i) => i.handled)) return false;
  for (const i of inner.filter((i) => !i.handled)) ctx.unmapped.add(location.section, i.node, i.location.path);
  return true;
}

function hasInnerStatements(statement: XmlNode): boolean {
  return [...childrenNamed(statement, 'entryRelationship'), ...childrenNamed(statement, 'component')].some((r) => r.children.some((c) => CLINICAL_STATEMENTS.has(c.name)));
}
