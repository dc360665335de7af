export { CellflowError } from "./cellflow-error.js";
export {
  InvalidNameError,
  InvalidConnectionError,
  AlreadyConnectedError,
  InvalidCellError,
  InvalidIOError,
} from "./structure-errors.js";
export {
  AlreadyDeployedError,
  NotDeployedError,
  NotDeployableError,
  LifecycleHookError,
  AbortedError,
} from "./lifecycle-errors.js";
export { IndeterminableTopologyError } from "./topology-errors.js";
export {
  CellPullError,
  EndOfStreamError,
  NoValueError,
  OutputNotSetError,
  InactiveError,
  UnknownCloneMethodError,
  InvalidArgumentError,
  CellNotLocatableError,
  CloneCrashedError,
  DataCloneError,
  DeployInCloneError,
  CellConstructorError,
} from "./runtime-errors.js";
export { SourceOverflowError, SourceNotRestartableError, AlreadySubscribedError } from "./interop-errors.js";
