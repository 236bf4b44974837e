namespace OperatorConsole.Infrastructure.Tenants;

/// <summary>What a country chosen at sign-up sets up front: the workspace's time zone, language and phone region.</summary>
public sealed record SignupCountry(string Code, string TimeZone, string Culture);

public static class SignupCountries
{
    // The capital's zone: countries with several zones (MX, US) get the one most businesses there use; owners change it later.
    public static readonly IReadOnlyList<SignupCountry> All =
    [
        new("MX", "America/Mexico_City", "es"),
        new("CO", "America/Bogota", "es"),
        new("AR", "America/Argentina/Buenos_Aires", "es"),
        new("CL", "America/Santiago", "es"),
        new("PE", "America/Lima", "es"),
        new("EC", "America/Guayaquil", "es"),
        new("VE", "America/Caracas", "es"),
        new("GT", "America/Guatemala", "es"),
        new("CR", "America/Costa_Rica", "es"),
        new("PA", "America/Panama", "es"),
        new("DO", "America/Santo_Domingo", "es"),
        new("UY", "America/Montevideo", "es"),
        new("PY", "America/Asuncion", "es"),
        new("BO", "America/La_Paz", "es"),
        new("SV", "America/El_Salvador", "es"),
        new("HN", "America/Tegucigalpa", "es"),
        new("ES", "Europe/Madrid", "es"),
        new("US", "America/New_York", "en"),
    ];

    public static SignupCountry? Find(string? code) =>
        All.FirstOrDefault(c => string.Equals(c.Code, code?.Trim(), StringComparison.OrdinalIgnoreCase));
}
