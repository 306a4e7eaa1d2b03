using System.ClientModel;
using Sidecar.Clients;
using Sidecar.Upstream;

namespace Sidecar.Resilience;

/// <summary>How the resilience layer sees one failed attempt.</summary>
internal readonly record struct FailureClass(bool Retryable, FailureScope Scope);
