// @sidecar/client as an ES module: the same objects as require('@sidecar/client'), as named exports.
import sidecar from './index.js';

export const {
  connect,
  SidecarClient,
  SidecarError,
  ErrorReason,
  AbortError,
  StreamAccumulator,
  accumulate,
  resolveSocketPath,
  decodeStatusDetails,
  DEFAULT_SOCKET_PATH,
  status,
} = sidecar;

export default sidecar;
