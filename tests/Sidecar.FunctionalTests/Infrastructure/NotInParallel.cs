namespace Sidecar.FunctionalTests;

/// <summary>Test classes in this collection run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(NotInParallel), DisableParallelization = true)]
public sealed class NotInParallel;
