using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Auth;

/// <summary>
/// A small cost per sign-up attempt instead of a third-party CAPTCHA: the form carries a server-issued challenge (signed
/// and time-limited with Data Protection), and the browser finds a number whose SHA-256 with it starts with
/// <see cref="SignupOptions.PowBits"/> zero bits (wwwroot/signup-pow.js). Each challenge is accepted once.
/// </summary>
public sealed class SignupProofOfWork(IDataProtectionProvider protection, IOptions<SignupOptions> options, TimeProvider clock)
{
    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("Console.Signup.ProofOfWork").ToTimeLimitedDataProtector();

    // Challenges already spent, until they would have expired anyway. In memory: a replay that reaches another node
    // still costs the attacker a fresh proof there, and the per-address rate limit bounds it.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _spent = new();

    public int Bits => options.Value.PowBits;

    public string Issue()
    {
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var payload = $"{nonce}:{Bits.ToString(CultureInfo.InvariantCulture)}";
        return _protector.Protect(payload, clock.GetUtcNow().AddMinutes(options.Value.ChallengeMinutes));
    }

    /// <summary>True once per valid challenge whose solution meets its difficulty.</summary>
    public bool TryRedeem(string? challenge, string? solution)
    {
        if (string.IsNullOrEmpty(challenge) || string.IsNullOrEmpty(solution) || solution.Length > 20) return false;
        string payload;
        DateTimeOffset expires;
        try
        {
            payload = _protector.Unprotect(challenge, out expires);
        }
        catch (CryptographicException)
        {
            return false; // forged, tampered or expired
        }
        if (!int.TryParse(payload.Split(':')[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)) return false;
        if (!Meets(challenge, solution, bits)) return false;
        var now = clock.GetUtcNow();
        foreach (var (key, until) in _spent)
            if (until < now) _spent.TryRemove(key, out _);
        return _spent.TryAdd(payload, expires);
    }

    /// <summary>SHA-256 of "challenge:solution" (UTF-8) starts with <paramref name="bits"/> zero bits.</summary>
    public static bool Meets(string challenge, string solution, int bits)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{challenge}:{solution}"));
        for (var i = 0; i < bits; i++)
            if ((hash[i / 8] & (0x80 >> (i % 8))) != 0) return false;
        return true;
    }
}
