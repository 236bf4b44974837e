using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Summary, suggested reply and lead signals without a model: extracted from the conversation's own words (the
/// service asked for, the stage, the question still open), never invented.
/// </summary>
public static class OfflineCopilot
{
    private const int QuoteMax = 140;

    /// <summary>"Busca: Limpieza dental · Etapa: Contactado · Pendiente: «¿Tienen citas el sábado?»".</summary>
    public static string Summarize(IReadOnlyList<TurnMessage> history, string? stage, IReadOnlyList<Product> products, string lang)
    {
        var customer = history.Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text).ToList();
        if (customer.Count == 0) return "";
        string T(string es, string en) => lang == "en" ? en : es;
        var parts = new List<string>();
        if (Wants(customer, products, lang) is { } wants) parts.Add(T("Busca: ", "Wants: ") + wants);
        if (!string.IsNullOrEmpty(stage)) parts.Add(T("Etapa: ", "Stage: ") + stage);
        var open = OfflineIntents.OpenCustomerTexts(history);
        parts.Add(open.Count == 0
            ? T("Sin preguntas pendientes", "Nothing pending")
            : T("Pendiente: «", "Open: “") + Quote(OpenQuestion(open)!) + T("»", "”"));
        return string.Join(" · ", parts);
    }

    /// <summary>What the customer asked for: catalogue products named, else an appointment, else their first words.</summary>
    private static string? Wants(List<string> customer, IReadOnlyList<Product> products, string lang)
    {
        var all = string.Join("\n", customer);
        var named = customer.SelectMany(t => OfflineIntents.MatchProducts(t, products)).Select(p => p.Name).Distinct().Take(3).ToList();
        var intents = customer.Select(OfflineIntents.Classify).ToHashSet();
        var what = new List<string>();
        if (named.Count > 0) what.Add(string.Join(", ", named));
        if (intents.Contains(OfflineIntent.Appointment)) what.Add(lang == "en" ? "an appointment" : "una cita");
        if (intents.Contains(OfflineIntent.Payment)) what.Add(lang == "en" ? "to pay" : "pagar");
        if (intents.Contains(OfflineIntent.Price) && named.Count == 0) what.Add(lang == "en" ? "prices" : "precios");
        if (intents.Contains(OfflineIntent.Person)) what.Add(lang == "en" ? "a person" : "hablar con una persona");
        if (what.Count > 0) return string.Join(lang == "en" ? "; " : "; ", what);
        var first = customer.FirstOrDefault(t => OfflineIntents.TopicWords(t).Count > 0);
        return first is null ? null : "«" + Quote(first) + "»";
    }

    /// <summary>The newest unanswered customer message that asks something, else the newest unanswered one.</summary>
    public static string? OpenQuestion(IReadOnlyList<string> open) =>
        open.LastOrDefault(t => t.Contains('?') || OfflineIntents.Classify(t) != OfflineIntent.None) ?? open.LastOrDefault();

    private static string Quote(string text)
    {
        var line = string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= QuoteMax ? line : line[..(QuoteMax - 1)] + "…";
    }

    /// <summary>
    /// A reply for the human agent to edit: the knowledge line that answers the open question, else a short next step
    /// for what the customer asked, in the customer's language. Empty when the customer asked nothing.
    /// </summary>
    public static string SuggestReply(IReadOnlyList<TurnMessage> history, IReadOnlyList<KnowledgePassage> passages, string lang)
    {
        var open = OfflineIntents.OpenCustomerTexts(history);
        var question = OpenQuestion(open) ?? history.LastOrDefault(m => m.Sender == MessageSender.Contact)?.Text;
        if (question is null) return "";
        if (OfflineIntents.BestLine(question, passages) is { } best) return best.Line;
        string T(string es, string en) => lang == "en" ? en : es;
        return OfflineIntents.Classify(question) switch
        {
            OfflineIntent.Appointment => T("Con gusto te agendo una cita. ¿Qué día y a qué hora te queda mejor?",
                "Happy to book you an appointment. Which day and time suit you best?"),
            OfflineIntent.Payment => T("Con gusto te envío el enlace de pago. ¿Para qué servicio es?",
                "Happy to send you the payment link. Which service is it for?"),
            OfflineIntent.Price => T("Con gusto te paso el precio. ¿Qué servicio te interesa?", "Happy to give you the price. Which service are you interested in?"),
            OfflineIntent.Person => T("Hola, te atiende una persona del equipo. ¿En qué te puedo ayudar?", "Hi, a person from the team here. How can I help you?"),
            _ => T("Gracias por escribirnos. Lo reviso y te respondo en un momento.", "Thanks for writing. Let me check and I'll get back to you in a moment."),
        };
    }

    private static readonly string[] UrgentPhrases = ["urgente", "urgencia", "dolor", "me duele", "lo antes posible", "hoy mismo", "urgent", "asap", "as soon as possible", "pain"];
    private static readonly string[] BudgetPhrases = ["presupuesto", "budget", "mi limite", "my limit"];
    private static readonly string[] ComparingPhrases = ["otra clinica", "otro lugar", "otros lugares", "comparando", "cotizando", "other clinic", "elsewhere", "comparing"];
    private static readonly string[] NotInterestedPhrases = ["no me interesa", "ya no me interesa", "no estoy interesado", "no estoy interesada", "not interested"];
    private static readonly string[] FrustratedPhrases = ["pesimo", "pesima", "molesto", "molesta", "enojado", "enojada", "harto", "harta", "que mal servicio",
        "angry", "upset", "frustrated", "ridiculous", "terrible service"];
    private static readonly string[] PaymentIssuePhrases = ["no pude pagar", "problema con el pago", "problema con mi pago", "cobro doble", "me cobraron dos veces",
        "payment failed", "charged twice", "couldn't pay", "could not pay"];

    /// <summary>
    /// The lead analysis the model would give, from rules: signals from the customer's words, a stage that only moves
    /// forward (an answer makes a new lead Contacted, a payment link Qualified, a booking Appointment booked — the tenant's
    /// default stages by their key, whatever they are called now) and the summary. Won and lost leads stay where they are.
    /// </summary>
    public static LeadAnalysis Analyze(IReadOnlyList<TurnMessage> history, IReadOnlyList<PipelineStage> stages, PipelineStage? stage,
        IReadOnlyList<Product> products, bool booked, bool paymentLinkSent, string lang)
    {
        var customer = history.Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text).ToList();
        bool Any(string[] phrases) => customer.Any(t => phrases.Any(p => CustomerLanguage.ContainsPhrase(t, p)));
        var interested = customer.Any(t => OfflineIntents.Classify(t) is OfflineIntent.Appointment or OfflineIntent.Payment or OfflineIntent.Price)
                         || customer.Any(t => OfflineIntents.MatchProducts(t, products).Count > 0);
        var suggested = stage;
        void Forward(string key)
        {
            if (stages.FirstOrDefault(s => s.Key == key) is { } next && (suggested is null || next.Position > suggested.Position)) suggested = next;
        }
        if (stage?.Kind is not (StageKind.Won or StageKind.Lost))
        {
            if (history.Any(m => m.Sender is MessageSender.Bot or MessageSender.Agent)) Forward("contacted");
            if (paymentLinkSent) Forward("qualified");
            if (booked) Forward("booked");
        }
        return new LeadAnalysis(interested, Any(UrgentPhrases), Any(BudgetPhrases), false, Any(ComparingPhrases), Any(NotInterestedPhrases), false,
            Any(FrustratedPhrases), Any(PaymentIssuePhrases), suggested?.Name, null, null, null, null, Summarize(history, suggested?.Name, products, lang));
    }
}
