using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>
/// A private certificate authority and a server certificate it signed for 127.0.0.1 and localhost, as PEM
/// files in a temporary folder: what a Kubernetes TLS secret gives a Redis and its clients.
/// </summary>
public sealed class RedisTlsFiles : IDisposable
{
    private readonly TempFolder _folder;

    private RedisTlsFiles(TempFolder folder)
    {
        _folder = folder;
    }

    /// <summary>The authority's certificate (<c>ca.crt</c>).</summary>
    public string Authority => Path.Combine(_folder.FullName, "ca.crt");

    public string ServerCertificate => Path.Combine(_folder.FullName, "tls.crt");

    public string ServerKey => Path.Combine(_folder.FullName, "tls.key");

    public static RedisTlsFiles Create(string authorityName)
    {
        var files = new RedisTlsFiles(TempFolder.Create("sidecar-redis-tls-"));
        var from = DateTimeOffset.UtcNow.AddHours(-1);
        var to = DateTimeOffset.UtcNow.AddDays(1);

        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest($"CN={authorityName}", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, critical: false));
        using var authority = authorityRequest.CreateSelfSigned(from, to);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var server = serverRequest.Create(authority, from, to, RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(files.Authority, authority.ExportCertificatePem());
        File.WriteAllText(files.ServerCertificate, server.ExportCertificatePem());
        File.WriteAllText(files.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        return files;
    }

    public void Dispose() => _folder.Dispose();
}
