namespace Sidecar.Configuration;

/// <summary>
/// Checks the whole configuration and reports every problem at once: at start (the daemon exits with
/// code 2 listing them) and on each reload (the change is refused and the previous settings stay), both
/// through <see cref="LiveOptions.Read"/>.
/// </summary>
internal sealed class SidecarOptionsValidator
{
    /// <summary>Every area's validator, in the order their problems are listed. A new area of settings adds its own here.</summary>
    private static readonly IOptionsValidator[] Areas =
    [
        new ListenerOptionsValidator(),
        new KeyRefOptionsValidator(),
        new RoutingValidation(),
        new ClientCacheOptionsValidator(),
        new LimitsOptionsValidator(),
        new UpstreamOptionsValidator(),
        new ResilienceOptionsValidator(),
        new RedisOptionsValidator(),
        new ResponseCacheOptionsValidator(),
    ];

    /// <summary>The problems found; none when the options are valid.</summary>
    public IReadOnlyList<string> Validate(SidecarOptions options)
    {
        var problems = new OptionsProblems();
        foreach (var area in Areas)
        {
            area.Validate(options, SidecarOptions.SectionName, problems);
        }

        return problems.All;
    }
}
