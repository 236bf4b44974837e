using System.Globalization;
using System.Text;
using OperatorConsole.Domain.Conversations;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The customer's language for the few messages the system writes itself (handoff, offline, closed): Spanish or
/// English, guessed from common words, falling back to the business's default. The LLM answers in the customer's
/// language on its own.
/// </summary>
public static class CustomerLanguage
{
    private static readonly HashSet<string> English = ["the", "is", "are", "you", "i", "my", "what", "how", "can", "do", "does",
        "please", "hello", "hi", "thanks", "thank", "want", "need", "price", "much", "when", "where", "have", "would", "appointment", "with",
        "book", "tomorrow", "today", "pay", "cost", "talk", "prices", "morning", "afternoon", "see"];
    private static readonly HashSet<string> Spanish = ["el", "la", "los", "las", "es", "son", "que", "como", "puedo", "quiero", "necesito",
        "hola", "gracias", "precio", "cuanto", "cuando", "donde", "tiene", "tienen", "una", "un", "por", "para", "cita", "favor", "buenas", "buenos", "con",
        "manana", "hoy", "agendar", "reservar", "pagar", "quisiera", "cuesta", "precios", "hablar", "tarde", "ver", "del"];

    public static string Detect(IEnumerable<string> texts, string fallback)
    {
        int en = 0, es = 0;
        foreach (var word in texts.SelectMany(Words))
        {
            if (English.Contains(word)) en++;
            if (Spanish.Contains(word)) es++;
        }
        if (en > es) return "en";
        if (es > en) return "es";
        return fallback.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? "en" : "es";
    }

    /// <summary>Lower case without accents, so "Cuánto" and "cuanto" are the same word.</summary>
    public static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    public static IEnumerable<string> Words(string text) =>
        Fold(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Trim('¿', '?', '¡', '!', '.', ',', ';', ':', '"', '\'', '(', ')'))
            .Where(w => w.Length > 0);

    /// <summary>True when the phrase appears as whole words in the text, ignoring case and accents.</summary>
    public static bool ContainsPhrase(string text, string phrase)
    {
        var words = Words(text).ToList();
        var target = Words(phrase).ToList();
        if (target.Count == 0) return false;
        for (var i = 0; i + target.Count <= words.Count; i++)
        {
            if (target.Select((t, k) => words[i + k] == t).All(x => x)) return true;
        }
        return false;
    }

    public static string HandoffMessage(string lang) => lang == "en"
        ? "Thanks for your patience. I'm passing your conversation to a person on our team, who will reply here shortly."
        : "Gracias por tu paciencia. Paso tu conversación a una persona de nuestro equipo, que te responderá aquí en breve.";

    /// <summary>The notice on the team's own WhatsApp number that a customer waits for a person, in the workspace's language.</summary>
    public static string TeamHandoffNotice(string lang, string? customer, HandoffReason reason, HandoffPriority priority)
    {
        var urgent = priority is HandoffPriority.Urgent or HandoffPriority.Critical;
        var why = (lang, reason) switch
        {
            ("en", HandoffReason.UserRequested) => "asked for a person",
            ("en", HandoffReason.UserFrustrated) => "seems upset",
            ("en", HandoffReason.HighValueLead) => "is a high-value lead",
            ("en", HandoffReason.PaymentIssue) => "has a payment issue",
            ("en", HandoffReason.AgentError or HandoffReason.RepeatedFailures) => "the bot could not answer",
            ("en", HandoffReason.Keyword) => "wrote a word that needs a person",
            ("en", HandoffReason.PlanLimit) => "the plan's AI replies are used up",
            ("en", HandoffReason.BillingStopped) => "the bot is stopped until the subscription is fixed",
            ("en", _) => "needs help the bot cannot give",
            (_, HandoffReason.UserRequested) => "pidió hablar con una persona",
            (_, HandoffReason.UserFrustrated) => "parece molesto",
            (_, HandoffReason.HighValueLead) => "es un prospecto de alto valor",
            (_, HandoffReason.PaymentIssue) => "tiene un problema con un pago",
            (_, HandoffReason.AgentError or HandoffReason.RepeatedFailures) => "el bot no pudo responder",
            (_, HandoffReason.Keyword) => "escribió una palabra que requiere a una persona",
            (_, HandoffReason.PlanLimit) => "se agotaron las respuestas de IA del plan",
            (_, HandoffReason.BillingStopped) => "el bot está detenido hasta regularizar la suscripción",
            _ => "necesita ayuda que el bot no puede dar",
        };
        return lang == "en"
            ? $"🔔 {customer ?? "A customer"} needs a person: {why}{(urgent ? " (urgent)" : "")}."
            : $"🔔 {customer ?? "Un cliente"} necesita una persona: {why}{(urgent ? " (urgente)" : "")}.";
    }

    /// <summary>The offline agent says once (Llm:OfflineNotice) that no person is writing.</summary>
    public static string OfflineNotice(string lang, string business) => lang == "en"
        ? $"Hi! I'm the automatic assistant of {business}."
        : $"¡Hola! Soy el asistente automático de {business}.";

    public static bool IsOfflineNotice(string text) =>
        text.Contains("asistente automático", StringComparison.OrdinalIgnoreCase) || text.Contains("automatic assistant", StringComparison.OrdinalIgnoreCase);

    public static string OfflineNoAnswer(string lang) => lang == "en"
        ? "I'm the automatic assistant and I don't have that answer. A person from our team will reply shortly."
        : "Soy el asistente automático y no tengo esa respuesta. Una persona de nuestro equipo te responderá en breve.";

    public static string ClosedMessage(string lang, string whenBack) => lang == "en"
        ? $"Thanks for writing! We're closed right now; the team is back {whenBack} and will answer you then."
        : $"¡Gracias por escribirnos! En este momento estamos cerrados; el equipo vuelve {whenBack} y te responderá entonces.";

    public static string WhenBack(string lang, DateTime opening, DateTime now)
    {
        var culture = CultureInfo.GetCultureInfo(lang == "en" ? "en-US" : "es-MX");
        var time = opening.ToString("HH:mm", culture);
        if (opening.Date == now.Date) return lang == "en" ? $"today at {time}" : $"hoy a las {time}";
        if (opening.Date == now.Date.AddDays(1)) return lang == "en" ? $"tomorrow at {time}" : $"mañana a las {time}";
        var day = culture.DateTimeFormat.GetDayName(opening.DayOfWeek);
        return lang == "en" ? $"on {day} at {time}" : $"el {day} a las {time}";
    }
}
