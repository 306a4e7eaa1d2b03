using Microsoft.Extensions.Options;
using Sidecar.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Reports every problem of <see cref="SidecarClientOptions"/> at once.</summary>
internal sealed class SidecarClientOptionsValidator : IValidateOptions<SidecarClientOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarClientOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
