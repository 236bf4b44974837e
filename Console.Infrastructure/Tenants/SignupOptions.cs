using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Tenants;

/// <summary>Self-service sign-up. Keys: Signup:*.</summary>
public sealed class SignupOptions
{
    /// <summary>Leading zero bits the browser's proof-of-work must find: 16 takes a few hundred ms in a browser.</summary>
    [Range(1, 28)] public int PowBits { get; set; } = 16;

    /// <summary>How long a sign-up form's challenge stays valid.</summary>
    [Range(1, 240)] public int ChallengeMinutes { get; set; } = 30;
}

/// <summary>Platform billing periods. Keys: Billing:*.</summary>
public sealed class BillingOptions
{
    [Range(1, 365)] public int TrialDays { get; set; } = 7;

    [Range(0, 90)] public int GraceDays { get; set; } = 3;
}
