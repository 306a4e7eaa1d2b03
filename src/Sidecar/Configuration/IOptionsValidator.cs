namespace Sidecar.Configuration;

/// <summary>
/// Checks one area of <see cref="SidecarOptions"/>. <see cref="SidecarOptionsValidator"/> runs every
/// area, at start and on each reload, and reports all their problems together.
/// </summary>
internal interface IOptionsValidator
{
    /// <param name="path">The section's path, <c>Sidecar</c>, that problems name settings under.</param>
    void Validate(SidecarOptions options, string path, OptionsProblems problems);
}
