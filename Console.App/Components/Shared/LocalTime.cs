using System.Globalization;

namespace OperatorConsole.App.Components.Shared;

/// <summary>
/// The one way an instant is shown to a person: converted to the business's time zone and written the way the
/// person's language writes it (Spanish: 24-hour clock, day before month; English: its own). Every screen formats
/// through here, so the same message shows the same time everywhere.
/// </summary>
public static class LocalTime
{
    private static readonly string[] Regions = ["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"];

    /// <summary>The zone with this IANA id; UTC when it is unknown (never a server's local zone).</summary>
    public static TimeZoneInfo Zone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    public static DateTimeOffset In(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone);

    /// <summary>"18:06" in Spanish, "6:06 PM" in English.</summary>
    public static string Time(DateTimeOffset at, TimeZoneInfo zone) => In(at, zone).ToString(TimePattern(), CultureInfo.CurrentCulture);

    /// <summary>"02/12/2026" in Spanish, "12/2/2026" in English.</summary>
    public static string Date(DateTimeOffset at, TimeZoneInfo zone) => In(at, zone).ToString(DatePattern(), CultureInfo.CurrentCulture);

    public static string DateTime(DateTimeOffset at, TimeZoneInfo zone) => $"{Date(at, zone)} {Time(at, zone)}";

    private static bool Spanish => CultureInfo.CurrentCulture.TwoLetterISOLanguageName == "es";

    // Written out for Spanish: the culture data of some ICU versions gives es-MX a 12-hour clock, and people here read 24 h.
    private static string TimePattern() => Spanish ? "HH:mm" : CultureInfo.CurrentCulture.DateTimeFormat.ShortTimePattern;

    private static string DatePattern() => Spanish ? "dd/MM/yyyy" : CultureInfo.CurrentCulture.DateTimeFormat.ShortDatePattern;

    public sealed record ZoneChoice(string Id, string Label);

    /// <summary>
    /// The IANA zones people pick from, by offset then name: "(UTC-06:00) Mexico City · America/Mexico_City". Old aliases
    /// (US/Central, EST5EDT, Etc/GMT+6) are left out; the offset is today's (summer time included).
    /// </summary>
    public static IReadOnlyList<ZoneChoice> Choices(DateTimeOffset now) => ZoneList.Value
        .Select(z => (Zone: z, Offset: z.GetUtcOffset(now)))
        .OrderBy(x => x.Offset).ThenBy(x => x.Zone.Id, StringComparer.Ordinal)
        .Select(x => new ZoneChoice(x.Zone.Id, Label(x.Zone.Id, x.Offset)))
        .ToList();

    public static string Label(string id, DateTimeOffset now) => Label(id, Zone(id).GetUtcOffset(now));

    private static string Label(string id, TimeSpan offset)
    {
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var city = id.Contains('/') ? id[(id.LastIndexOf('/') + 1)..].Replace('_', ' ') : id;
        return $"(UTC{sign}{offset.Duration():hh\\:mm}) {city} · {id}";
    }

    private static readonly Lazy<IReadOnlyList<TimeZoneInfo>> ZoneList = new(() => TimeZoneInfo.GetSystemTimeZones()
        .Where(z => z.Id == "UTC" || Regions.Any(r => z.Id.StartsWith(r + "/", StringComparison.Ordinal)))
        .ToList());
}
