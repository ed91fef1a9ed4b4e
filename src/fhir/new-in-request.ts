import { StateKey } from '../kernel/request-state';

/**
 * The `Type/id`s a transaction Bundle drew for its POST entries (fresh ids, not a conditional create's match): rows
 * that will exist when the transaction commits, but may not be written yet when an earlier entry names them (a
 * submission's Binary comes before its DocumentReference). The access rules let such a name through where they
 * would answer any other absent target as absent.
 */
export const NEW_IN_REQUEST_STATE = new StateKey<Set<string>>('fhir.newInRequest');
