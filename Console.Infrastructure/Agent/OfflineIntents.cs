using System.Globalization;
using System.Text.RegularExpressions;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>What a customer's words ask for, read by rules (no model): the offline agent and the offline copilot share them.</summary>
public enum OfflineIntent { None, Person, Appointment, Payment, Price }

/// <summary>
/// Word rules for Spanish and English customers: intents, days and times, and the passage-level knowledge pick.
/// Everything is compared folded (lower case, no accents), as whole words.
/// </summary>
public static partial class OfflineIntents
{
    private static readonly string[] AppointmentWords =
    [
        "cita", "citas", "agendar", "agenda", "agendame", "agendarme", "reservar", "reserva", "reservacion", "turno", "horario disponible",
        "horarios disponibles", "appointment", "appointments", "book", "booking", "schedule", "reserve",
    ];

    private static readonly string[] PaymentPhrases =
    [
        "pagar", "pago en linea", "link de pago", "liga de pago", "enlace de pago", "enlace para pagar", "link para pagar", "quiero pagar",
        "pay", "payment link", "pay online", "checkout",
    ];

    private static readonly string[] PriceWords =
    [
        "precio", "precios", "cuesta", "cuestan", "costo", "costos", "cuanto", "cobran", "tarifa", "tarifas", "vale",
        "price", "prices", "cost", "costs", "how much", "fee", "fees", "rate", "rates",
    ];

    // Words that carry no topic: never what a question is about.
    private static readonly HashSet<string> Stop =
    [
        "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "a", "en", "y", "o", "que", "por", "para", "con", "sin",
        "es", "son", "me", "mi", "te", "tu", "su", "se", "lo", "le", "les", "nos", "hola", "buenas", "buenos", "dias", "tardes", "gracias",
        "quiero", "quisiera", "necesito", "puedo", "pueden", "tienen", "tiene", "hay", "saber", "favor", "como", "cual", "cuales", "donde",
        "the", "a", "an", "of", "to", "in", "on", "and", "or", "for", "with", "is", "are", "do", "does", "you", "your", "i", "my", "me",
        "what", "which", "how", "much", "hi", "hello", "please", "thanks", "want", "need", "can", "have", "would", "like", "about",
        "precio", "precios", "cuesta", "cuestan", "costo", "costos", "cuanto", "cobran", "vale", "price", "prices", "cost", "costs",
    ];

    public static OfflineIntent Classify(string text)
    {
        if (AgentEngine.WantsPerson(text)) return OfflineIntent.Person;
        if (AppointmentWords.Any(w => CustomerLanguage.ContainsPhrase(text, w))) return OfflineIntent.Appointment;
        if (PaymentPhrases.Any(w => CustomerLanguage.ContainsPhrase(text, w))) return OfflineIntent.Payment;
        if (IsPriceQuestion(text)) return OfflineIntent.Price;
        return OfflineIntent.None;
    }

    public static bool IsPriceQuestion(string text) => PriceWords.Any(w => CustomerLanguage.ContainsPhrase(text, w));

    /// <summary>The words a question is about ("limpieza", "horario"), without filler and price words.</summary>
    public static List<string> TopicWords(string text) =>
        CustomerLanguage.Words(text).Where(w => w.Length >= 3 && !Stop.Contains(w) && !w.All(char.IsDigit)).Distinct().ToList();

    /// <summary>Same word, allowing plural and conjugated endings ("limpieza"/"limpiezas", "horario"/"horarios").</summary>
    private static bool Related(string a, string b)
    {
        if (a == b) return true;
        var n = Math.Min(Math.Min(a.Length, b.Length), 5);
        return n >= 4 && a[..n] == b[..n];
    }

    /// <summary>
    /// The single line or paragraph of the retrieved passages that best answers the question (topic words found in it,
    /// a little credit for its document's title, and for a price when a price was asked), or null when none is about it.
    /// </summary>
    public static (KnowledgePassage Passage, string Line)? BestLine(string question, IEnumerable<KnowledgePassage> passages)
    {
        var topic = TopicWords(question);
        if (topic.Count == 0) return null;
        var wantsPrice = IsPriceQuestion(question);
        (KnowledgePassage, string)? best = null;
        var bestScore = 0.0;
        foreach (var passage in passages)
        {
            var titleWords = CustomerLanguage.Words(passage.Title).ToList();
            foreach (var line in passage.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var words = CustomerLanguage.Words(line).ToList();
                var hits = topic.Count(t => words.Any(w => Related(t, w)));
                if (hits == 0 && !topic.Any(t => titleWords.Any(w => Related(t, w)))) continue;
                var score = hits + 0.5 * topic.Count(t => titleWords.Any(w => Related(t, w)));
                if (wantsPrice && (line.Contains('$') || PriceNumber().IsMatch(line))) score += 0.5;
                if (score > bestScore)
                {
                    bestScore = score;
                    best = (passage, line);
                }
            }
        }
        // A title alone ("Horario…") is a weak reason: the line itself must say something the customer asked about.
        return bestScore >= 1 ? best : null;
    }

    [GeneratedRegex(@"\d+[.,]?\d*\s*(mxn|usd|cop|pen|clp|ars|eur|pesos|dolares|dollars)", RegexOptions.IgnoreCase)]
    private static partial Regex PriceNumber();

    /// <summary>The catalogue products the text names, best first (most of the product's own words present).</summary>
    public static List<Product> MatchProducts(string text, IEnumerable<Product> products)
    {
        var words = CustomerLanguage.Words(text).ToList();
        var scored = products.Select(p =>
        {
            var own = TopicWords(p.Name);
            var hits = own.Count(o => words.Any(w => Related(o, w)));
            return (Product: p, Hits: hits, Share: own.Count == 0 ? 0 : (double)hits / own.Count);
        }).Where(s => s.Hits > 0).ToList();
        if (scored.Count == 0) return [];
        var top = scored.Max(s => (s.Hits, s.Share));
        return scored.Where(s => (s.Hits, s.Share) == top).Select(s => s.Product).ToList();
    }

    /// <summary>A day the customer named, in the business's local calendar: hoy/today, mañana/tomorrow, pasado mañana, a weekday.</summary>
    public static DateOnly? Day(string text, DateOnly today)
    {
        var words = CustomerLanguage.Words(text).ToList();
        if (CustomerLanguage.ContainsPhrase(text, "pasado manana") || CustomerLanguage.ContainsPhrase(text, "day after tomorrow")) return today.AddDays(2);
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i];
            // "mañana" is also "morning": "en la mañana", "por la mañana", "esta mañana".
            if (w == "manana" && !(i > 0 && words[i - 1] is "la" or "esta")) return today.AddDays(1);
            if (w == "tomorrow") return today.AddDays(1);
            if (w is "hoy" or "today" or "tonight") return today;
        }
        foreach (var w in words)
        {
            if (Weekday(w) is { } day) return today.AddDays(((int)day - (int)today.DayOfWeek + 7) % 7);
        }
        return null;
    }

    private static DayOfWeek? Weekday(string w) => w switch
    {
        "lunes" or "monday" => DayOfWeek.Monday,
        "martes" or "tuesday" => DayOfWeek.Tuesday,
        "miercoles" or "wednesday" => DayOfWeek.Wednesday,
        "jueves" or "thursday" => DayOfWeek.Thursday,
        "viernes" or "friday" => DayOfWeek.Friday,
        "sabado" or "saturday" => DayOfWeek.Saturday,
        "domingo" or "sunday" => DayOfWeek.Sunday,
        _ => null,
    };

    /// <summary>Part of the day asked for: morning before noon, afternoon from noon.</summary>
    public static (TimeOnly From, TimeOnly To)? PartOfDay(string text)
    {
        var words = CustomerLanguage.Words(text).ToList();
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i] == "manana" && words[i - 1] is "la" or "esta") return (TimeOnly.MinValue, new TimeOnly(12, 0));
        }
        if (words.Contains("morning")) return (TimeOnly.MinValue, new TimeOnly(12, 0));
        if (words.Contains("tarde") || words.Contains("afternoon")) return (new TimeOnly(12, 0), TimeOnly.MaxValue);
        if (words.Contains("noche") || words.Contains("evening")) return (new TimeOnly(17, 0), TimeOnly.MaxValue);
        return null;
    }

    /// <summary>A clock time in the text: "10:30", "a las 4", "4pm", "16 h".</summary>
    public static TimeOnly? Time(string text)
    {
        var folded = CustomerLanguage.Fold(text);
        var m = ClockTime().Match(folded);
        if (m.Success && int.TryParse(m.Groups["h"].Value, out var h))
        {
            var min = m.Groups["m"].Success ? int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
            var suffix = m.Groups["s"].Value;
            if (suffix.StartsWith('p') && h < 12) h += 12;
            if (suffix.StartsWith('a') && h == 12) h = 0;
            // "a las 4" in a business day means the afternoon.
            if (!m.Groups["m"].Success && suffix.Length == 0 && h is >= 1 and <= 7) h += 12;
            if (h is >= 0 and < 24 && min is >= 0 and < 60) return new TimeOnly(h, min);
        }
        return null;
    }

    [GeneratedRegex(@"(?:(?<h>\d{1,2}):(?<m>\d{2})\s*(?<s>am|pm|a\.m\.|p\.m\.)?|(?:a las|at|las)\s+(?<h>\d{1,2})\s*(?<s>am|pm|hrs|h)?\b|\b(?<h>\d{1,2})\s*(?<s>am|pm)\b)")]
    private static partial Regex ClockTime();

    /// <summary>A bare number ("2", "la 3", "option 1"): the customer picked a numbered option.</summary>
    public static int? OptionNumber(string text)
    {
        var words = CustomerLanguage.Words(text).Where(w => w is not ("la" or "el" or "opcion" or "option" or "numero" or "number" or "#")).ToList();
        return words.Count == 1 && int.TryParse(words[0].TrimStart('#'), out var n) && n is >= 1 and <= 10 ? n : null;
    }

    /// <summary>Customer messages after the business's last reply: what is still unanswered (the newest last).</summary>
    public static List<string> OpenCustomerTexts(IReadOnlyList<TurnMessage> history)
    {
        var lastReply = -1;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            if (history[i].Sender is MessageSender.Bot or MessageSender.Agent) { lastReply = i; break; }
        }
        return history.Skip(lastReply + 1).Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text).ToList();
    }
}
