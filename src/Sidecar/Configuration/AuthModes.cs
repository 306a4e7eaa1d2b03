namespace Sidecar.Configuration;

/// <summary>The values of <see cref="KeyRefOptions.Auth"/>: how a target's key reaches its upstream.</summary>
public static class AuthModes
{
    public const string Bearer = "bearer";
    public const string ApiKey = "api-key";
    public const string None = "none";

    /// <summary>The mode a configured value names (unset: <see cref="Bearer"/>); false for anything else.</summary>
    public static bool TryParse(string? value, out AuthMode mode)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or Bearer:
                mode = AuthMode.Bearer;
                return true;
            case ApiKey:
                mode = AuthMode.ApiKey;
                return true;
            case None:
                mode = AuthMode.None;
                return true;
            default:
                mode = AuthMode.Bearer;
                return false;
        }
    }
}
