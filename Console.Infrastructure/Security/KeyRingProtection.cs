using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Security;

/// <summary>
/// How the Data Protection key ring is protected at rest. Keys: DataProtection:*. The keys live in PostgreSQL next to
/// the data they protect (channel tokens, auth cookies, reset tokens); without a key-encryption key held outside the
/// database, a copy of the database is enough to decrypt every channel token.
/// </summary>
public sealed class KeyRingProtectionOptions
{
    /// <summary>Base64 of 32 random bytes (e.g. <c>openssl rand -base64 32</c>); keep it outside the database (env var, secret store).</summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>Alternative: a PKCS#12 (.pfx) file with a private key; new keys are encrypted to it (XML encryption).</summary>
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }

    private X509Certificate2? _certificate;

    public X509Certificate2? Certificate() => string.IsNullOrWhiteSpace(CertificatePath) ? null
        : _certificate ??= X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword, X509KeyStorageFlags.EphemeralKeySet);

    public bool IsConfigured => KeyBytes() is not null || Certificate() is not null;

    public byte[]? KeyBytes()
    {
        if (string.IsNullOrWhiteSpace(KeyEncryptionKey)) return null;
        byte[] key;
        try
        {
            key = Convert.FromBase64String(KeyEncryptionKey.Trim());
        }
        catch (FormatException)
        {
            throw new OptionsValidationException("DataProtection", typeof(KeyRingProtectionOptions),
                ["DataProtection:KeyEncryptionKey must be base64 of 32 bytes (openssl rand -base64 32)."]);
        }
        return key.Length == 32 ? key : throw new OptionsValidationException("DataProtection", typeof(KeyRingProtectionOptions),
            [$"DataProtection:KeyEncryptionKey must be 32 bytes; it is {key.Length}."]);
    }
}

public static class KeyRingProtection
{
    /// <summary>
    /// Encrypts every newly written key with AES-256-GCM under DataProtection:KeyEncryptionKey when one is set. Keys
    /// written before (plain XML) stay readable: only elements marked as encrypted go through the decryptor.
    /// </summary>
    public static IDataProtectionBuilder AddKeyRingProtection(this IDataProtectionBuilder builder, IConfiguration config)
    {
        var services = builder.Services;
        services.AddSection<KeyRingProtectionOptions>("DataProtection");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<KeyRingProtectionOptions>>((o, protection) =>
        {
            if (protection.Value.KeyBytes() is { } key) o.XmlEncryptor = new AesGcmXmlEncryptor(key);
        });
        // The certificate variant uses the framework's own XML encryption; it also registers the certificate for
        // decryption from memory, so the machine's certificate store is not needed. The framework takes the certificate
        // while services are registered (its decryption options are internal), hence this one read of the section
        // before the options exist.
        var fromConfig = config.GetSection("DataProtection").Get<KeyRingProtectionOptions>();
        if (fromConfig?.KeyBytes() is null && fromConfig?.Certificate() is { } certificate) builder.ProtectKeysWithCertificate(certificate);
        services.AddHostedService<KeyRingProtectionCheck>();
        return builder;
    }
}

/// <summary>Encrypts a key's XML with AES-256-GCM under the configured key-encryption key.</summary>
public sealed class AesGcmXmlEncryptor(byte[] key) : IXmlEncryptor
{
    internal const int NonceSize = 12;
    internal const int TagSize = 16;

    /// <summary>A short fingerprint of the key-encryption key, so a wrong key is named as such instead of "corrupt data".</summary>
    internal static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement("aesGcmEncryptedKey",
            new XComment(" This key is encrypted with DataProtection:KeyEncryptionKey (AES-256-GCM). "),
            new XAttribute("kekId", KeyId(key)),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(AesGcmXmlDecryptor));
    }
}

/// <summary>
/// Reads keys written by <see cref="AesGcmXmlEncryptor"/>. Data Protection creates it by type name with the app's
/// service provider, so the key-encryption key comes from options, never from the database.
/// </summary>
public sealed class AesGcmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = services.GetRequiredService<IOptions<KeyRingProtectionOptions>>().Value.KeyBytes()
            ?? throw new CryptographicException("A Data Protection key is encrypted but DataProtection:KeyEncryptionKey is not set.");
        var expected = (string?)encryptedElement.Attribute("kekId");
        if (expected is not null && expected != AesGcmXmlEncryptor.KeyId(key))
            throw new CryptographicException($"A Data Protection key was encrypted with another DataProtection:KeyEncryptionKey (id {expected}).");
        var sealedBytes = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        if (sealedBytes.Length < AesGcmXmlEncryptor.NonceSize + AesGcmXmlEncryptor.TagSize) throw new CryptographicException("Encrypted key is truncated.");
        var plaintext = new byte[sealedBytes.Length - AesGcmXmlEncryptor.NonceSize - AesGcmXmlEncryptor.TagSize];
        using (var aes = new AesGcm(key, AesGcmXmlEncryptor.TagSize))
            aes.Decrypt(sealedBytes.AsSpan(0, AesGcmXmlEncryptor.NonceSize), sealedBytes.AsSpan(AesGcmXmlEncryptor.NonceSize + AesGcmXmlEncryptor.TagSize),
                sealedBytes.AsSpan(AesGcmXmlEncryptor.NonceSize, AesGcmXmlEncryptor.TagSize), plaintext);
        try
        {
            return XElement.Parse(System.Text.Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>Says loudly at start when the key ring is stored in plain text in Production.</summary>
internal sealed class KeyRingProtectionCheck(IOptions<KeyRingProtectionOptions> options, IHostEnvironment environment,
    ILogger<KeyRingProtectionCheck> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Validates the key too: a malformed key stops the start instead of failing at the first key rotation.
        var protectedAtRest = options.Value.IsConfigured;
        if (!protectedAtRest && environment.IsProduction())
            log.LogWarning("DATA PROTECTION KEYS ARE STORED UNENCRYPTED in the database: anyone with a copy of it can decrypt channel " +
                           "tokens and forge sign-in cookies. Set DataProtection:KeyEncryptionKey (base64 of 32 random bytes) or " +
                           "DataProtection:CertificatePath/CertificatePassword, kept outside the database.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
