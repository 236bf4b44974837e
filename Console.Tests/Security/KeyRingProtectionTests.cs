using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

public class KeyRingProtectionTests
{
    private const string Purpose = "KeyRingProtectionTests.v1";
    private static string NewKek() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static Dictionary<string, string?> WithKek(string? kek) => new() { ["DataProtection:KeyEncryptionKey"] = kek };

    private static IDataProtector Protector(ConsoleAppFactory app) =>
        app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    private static async Task<List<string>> StoredKeyXmlAsync(ConsoleAppFactory app)
    {
        await using var work = app.Scopes.ForSystem("test");
        return await work.Db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml!).ToListAsync();
    }

    [Fact]
    public async Task With_a_key_encryption_key_the_stored_key_ring_has_no_plain_master_key_and_only_the_same_key_reads_it()
    {
        var kek = NewKek();
        await using var first = new NodeAppFactory(null, WithKek(kek));
        await first.InitializeAsync();
        var secret = Protector(first).Protect("EAAG-channel-token");

        var stored = await StoredKeyXmlAsync(first);
        Assert.NotEmpty(stored);
        Assert.All(stored, xml =>
        {
            Assert.DoesNotContain("<masterKey", xml);
            Assert.Contains("aesGcmEncryptedKey", xml);
        });

        // A second node (or a restart) with the same key-encryption key reads the ring and the data.
        await using (var second = new NodeAppFactory(first.Database, WithKek(kek)))
        {
            await second.InitializeAsync();
            Assert.Equal("EAAG-channel-token", Protector(second).Unprotect(secret));
        }

        // A copy of the database without the right key-encryption key reads nothing.
        await using var thief = new NodeAppFactory(first.Database, WithKek(NewKek()));
        await thief.InitializeAsync();
        Assert.ThrowsAny<CryptographicException>(() => Protector(thief).Unprotect(secret));
    }

    [Fact]
    public async Task With_a_certificate_the_stored_key_ring_is_encrypted_to_it_and_another_node_with_it_reads_the_data()
    {
        using var rsa = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=console-keyring-test", rsa,
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(Path.GetTempPath(), $"keyring-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx-pass"));
        try
        {
            var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = path, ["DataProtection:CertificatePassword"] = "pfx-pass" };
            await using var first = new NodeAppFactory(null, settings);
            await first.InitializeAsync();
            var secret = Protector(first).Protect("EAAG-channel-token");
            Assert.All(await StoredKeyXmlAsync(first), xml =>
            {
                Assert.DoesNotContain("<masterKey", xml);
                Assert.Contains("EncryptedData", xml);
            });

            await using var second = new NodeAppFactory(first.Database, settings);
            await second.InitializeAsync();
            Assert.Equal("EAAG-channel-token", Protector(second).Unprotect(secret));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Keys_written_before_protection_was_configured_stay_readable()
    {
        await using var before = new NodeAppFactory(null, WithKek(null));
        await before.InitializeAsync();
        var secret = Protector(before).Protect("written in plain days");
        Assert.Contains(await StoredKeyXmlAsync(before), xml => xml.Contains("<masterKey"));

        await using var after = new NodeAppFactory(before.Database, WithKek(NewKek()));
        await after.InitializeAsync();
        Assert.Equal("written in plain days", Protector(after).Unprotect(secret));
    }

    [Fact]
    public async Task The_serving_role_can_add_keys_but_not_delete_or_rewrite_them()
    {
        await using var app = new NodeAppFactory(null, WithKek(NewKek()));
        await app.InitializeAsync();
        Protector(app).Protect("make a key");

        await using var conn = new NpgsqlConnection(app.AppConnectionString);
        await conn.OpenAsync();
        foreach (var sql in new[] { "DELETE FROM data_protection_keys", "UPDATE data_protection_keys SET xml = '<key/>'" })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            var denied = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
        Assert.NotEmpty(await StoredKeyXmlAsync(app));
    }
}
