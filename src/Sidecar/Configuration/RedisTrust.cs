using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Configuration;

/// <summary>
/// Trust in Redis' TLS certificate when <c>Sidecar:Redis:CaFile</c> names the authorities that sign it: the
/// certificate must chain to one of them (the system's roots are not consulted, so a certificate some public
/// CA issued for the same name is refused) and must carry the name the connection asked for.
/// </summary>
internal static class RedisTrust
{
    /// <summary>The certificates in <paramref name="path"/>, or null with the reason in <paramref name="problems"/>.</summary>
    public static X509Certificate2Collection? TryLoad(string path, List<string> problems)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            problems.Add($"CaFile {path} cannot be read as PEM certificates ({ex.GetType().Name}).");
            return null;
        }

        if (authorities.Count == 0)
        {
            problems.Add($"CaFile {path} holds no PEM certificate.");
            return null;
        }

        return authorities;
    }

    /// <summary>A validation callback for <see cref="StackExchange.Redis.ConfigurationOptions.CertificateValidation"/>.</summary>
    public static RemoteCertificateValidationCallback Validator(X509Certificate2Collection authorities) =>
        (_, certificate, _, errors) => Validate(certificate, errors, authorities);

    private static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        // The chain is built below against our authorities; only the name check is taken from the TLS stack's.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // Private CAs rarely publish revocation lists, and a fetch would hold the connection.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
