using System.Globalization;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>One opening interval on a weekday, in the business's own time zone (e.g. Monday 09:00–14:00).</summary>
public sealed record OpeningInterval(DayOfWeek Day, TimeOnly Opens, TimeOnly Closes);

/// <summary>
/// A business's weekly opening hours. Several intervals per day are allowed (lunch breaks). An empty week means
/// "always open", which is what a new tenant gets until the owner says otherwise.
/// </summary>
public sealed class BusinessHours
{
    public BusinessHours(IEnumerable<OpeningInterval> intervals)
    {
        Intervals = intervals.OrderBy(i => i.Day).ThenBy(i => i.Opens).ToList();
        foreach (var i in Intervals)
        {
            if (i.Closes <= i.Opens)
                throw new DomainException("agent.business_hours", $"{i.Day}: closing time {i.Closes:HH\\:mm} must be after opening time {i.Opens:HH\\:mm}.", i.Day, i.Closes, i.Opens);
        }
        foreach (var day in Intervals.GroupBy(i => i.Day))
        {
            var list = day.ToList();
            for (var k = 1; k < list.Count; k++)
            {
                if (list[k].Opens < list[k - 1].Closes)
                    throw new DomainException("agent.business_hours_overlap", $"{day.Key}: opening intervals overlap.", day.Key);
            }
        }
    }

    public IReadOnlyList<OpeningInterval> Intervals { get; }

    public bool AlwaysOpen => Intervals.Count == 0;

    public static BusinessHours Always { get; } = new([]);

    /// <summary>Monday to Friday 9–18 and Saturday 9–14: a sensible default for a new clinic or shop.</summary>
    public static BusinessHours Typical { get; } = new(
        Enumerable.Range(1, 5).Select(d => new OpeningInterval((DayOfWeek)d, new TimeOnly(9, 0), new TimeOnly(18, 0)))
            .Append(new OpeningInterval(DayOfWeek.Saturday, new TimeOnly(9, 0), new TimeOnly(14, 0))));

    public bool IsOpen(DateTime local)
    {
        if (AlwaysOpen) return true;
        var time = TimeOnly.FromDateTime(local);
        return Intervals.Any(i => i.Day == local.DayOfWeek && time >= i.Opens && time < i.Closes);
    }

    /// <summary>The next moment (local time) the business opens, at or after <paramref name="local"/>; null when always open.</summary>
    public DateTime? NextOpening(DateTime local)
    {
        if (AlwaysOpen) return null;
        for (var d = 0; d <= 7; d++)
        {
            var date = DateOnly.FromDateTime(local).AddDays(d);
            foreach (var i in Intervals.Where(i => i.Day == date.DayOfWeek))
            {
                var opens = date.ToDateTime(i.Opens);
                if (opens >= local) return opens;
                if (local < date.ToDateTime(i.Closes)) return local;
            }
        }
        return null;
    }

    /// <summary>Human-readable week for the system prompt, in the given culture ("lunes 09:00–18:00; …").</summary>
    public string Describe(CultureInfo culture)
    {
        if (AlwaysOpen) return culture.TwoLetterISOLanguageName == "es" ? "abierto todos los días, a toda hora" : "open every day, around the clock";
        var days = Enum.GetValues<DayOfWeek>().OrderBy(d => ((int)d + 6) % 7);
        var parts = new List<string>();
        foreach (var day in days)
        {
            var name = culture.DateTimeFormat.GetDayName(day);
            var slots = Intervals.Where(i => i.Day == day).Select(i => $"{i.Opens:HH\\:mm}–{i.Closes:HH\\:mm}").ToList();
            parts.Add(slots.Count == 0
                ? $"{name}: {(culture.TwoLetterISOLanguageName == "es" ? "cerrado" : "closed")}"
                : $"{name} {string.Join(", ", slots)}");
        }
        return string.Join("; ", parts);
    }
}
