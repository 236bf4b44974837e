using Microsoft.AspNetCore.DataProtection;
using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Infrastructure.Security;

/// <summary>Encrypts channel credentials with ASP.NET Data Protection (keys persisted in PostgreSQL).</summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("OperatorConsole.ChannelCredentials.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);

    public ProtectedCredentials Protect(string accessToken, string? appSecret, string? verifyToken) => new(
        Protect(accessToken),
        string.IsNullOrEmpty(appSecret) ? null : Protect(appSecret),
        string.IsNullOrEmpty(verifyToken) ? null : Protect(verifyToken));

    public ChannelSecrets Reveal(Channel channel) => new(
        Unprotect(channel.ProtectedAccessToken),
        channel.ProtectedAppSecret is null ? null : Unprotect(channel.ProtectedAppSecret),
        channel.ProtectedVerifyToken is null ? null : Unprotect(channel.ProtectedVerifyToken));
}

/// <summary>Plain credentials, only in memory, only for the call that needs them. Never logged.</summary>
public sealed record ChannelSecrets(string AccessToken, string? AppSecret, string? VerifyToken)
{
    public override string ToString() => "ChannelSecrets { *** }";
}
