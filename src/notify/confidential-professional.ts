import { INVISIBLE_TO_GUARDIANS } from '../access/access-plan';
import { sql, type Sql } from '../store/sql';

/**
 * True (SQL) when `professional` (a key: `urn:oid:1.2.250.1.71.4.2.1|<IdNat_PS>` or `Practitioner/<id>`) wrote or
 * authored a document of record `patientId` hidden from its legal representatives (INVISIBLE_REPRESENTANTS_LEGAUX):
 * a minor's confidential care (Code de la santé publique, L1111-5) must not reach his parents through a "Dr X
 * consulted the record" notice. Authored (`authors`, from `DocumentReference.author`) or written (`access_writer`,
 * from the token: a professional's document may name no author).
 */
export function wroteHiddenFromGuardiansSql(patientId: Sql, professional: Sql): Sql {
  return sql`EXISTS (SELECT 1 FROM resource d WHERE d.type = 'DocumentReference' AND d.compartment = ${patientId} AND NOT d.deleted
    AND d.security && ${[INVISIBLE_TO_GUARDIANS]}::text[]
    AND (d.authors && ARRAY[${professional}]::text[]
      OR EXISTS (SELECT 1 FROM access_writer w WHERE w.type = 'DocumentReference' AND w.id = d.id AND w.keys && ARRAY[${professional}]::text[])))`;
}
