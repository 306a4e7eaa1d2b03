namespace Sidecar.Resilience;

/// <summary>How the resilience layer sees one failed attempt.</summary>
internal readonly record struct FailureClass(bool Retryable, FailureScope Scope);
