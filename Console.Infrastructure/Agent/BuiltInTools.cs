using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The built-in tools, bound to one turn. Their names and parameters are a contract (tenants' prompts name them).
/// Sending tools add to the turn's replies — nothing is sent until the runner commits the turn — and every call is
/// recorded with its input, output, duration and error.
/// </summary>
public sealed class BuiltInTools(TurnInput input, TurnResult result, ITurnEffects effects)
{
    public const int MaxOptions = 10;
    // Tool input and output are shown to people (chat panel, sandbox): keep accents and ¿ readable.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Every built-in tool's name, in the order the owner sees their switches (the same set as <see cref="Functions"/>).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "escalate_to_human", "update_lead", "check_availability", "book_appointment", "reschedule_appointment", "cancel_appointment",
        "send_payment_link", "send_file", "send_options", "search_knowledge",
    ];

    public IReadOnlyList<AIFunction> Functions =>
    [
        Create(nameof(EscalateToHuman), "escalate_to_human",
            "Hand the conversation to a human agent. Use when the customer asks for a person, is upset, has a payment problem, or needs something you cannot do."),
        Create(nameof(UpdateLead), "update_lead", "Record what you learned about the customer (lead stage, name, e-mail, company, custom fields)."),
        Create(nameof(CheckAvailability), "check_availability",
            "Free appointment slots between two dates (YYYY-MM-DD, business's local time), and this customer's upcoming appointments. " +
            "Offer a few slots with send_options so the customer can tap one."),
        Create(nameof(BookAppointment), "book_appointment", "Book an appointment at a free slot (start as YYYY-MM-DDTHH:mm, business's local time)."),
        Create(nameof(RescheduleAppointment), "reschedule_appointment",
            "Move this customer's own upcoming appointment to a free slot (start as YYYY-MM-DDTHH:mm, business's local time). " +
            "Use when they cannot come at the booked time (\"I can't come tomorrow\"): check_availability first and offer new slots."),
        Create(nameof(CancelAppointment), "cancel_appointment",
            "Cancel this customer's own upcoming appointment when they ask to; then offer to book another time."),
        Create(nameof(SendPaymentLink), "send_payment_link", "Send the customer a payment link for one of the business's products, services or plans, by its name; the price comes from the business's catalogue."),
        Create(nameof(SendFile), "send_file", "Send one of the business's files (brochure, price list, menu) by its name."),
        Create(nameof(SendOptions), "send_options", "Send a question with options the customer can tap (WhatsApp buttons or list; numbered text elsewhere). At most 10 options."),
        Create(nameof(SearchKnowledge), "search_knowledge", "Search the business's knowledge base (services, prices, policies, hours)."),
    ];

    private AIFunction Create(string method, string name, string description) =>
        new RecordedFunction(AIFunctionFactory.Create(GetType().GetMethod(method)!, this, name, description), result);

    public string EscalateToHuman(
        [Description("Why: user_requested, user_frustrated, payment_issue, high_value_lead or other")] string reason,
        [Description("normal, urgent or critical")] string priority = "normal")
    {
        var why = CustomerLanguage.Fold(reason ?? "") switch
        {
            var r when r.Contains("frustrat") || r.Contains("angry") || r.Contains("upset") => HandoffReason.UserFrustrated,
            var r when r.Contains("payment") || r.Contains("pago") => HandoffReason.PaymentIssue,
            var r when r.Contains("value") => HandoffReason.HighValueLead,
            _ => HandoffReason.UserRequested,
        };
        var level = CustomerLanguage.Fold(priority ?? "") switch
        {
            "critical" or "critica" => HandoffPriority.Critical,
            "urgent" or "urgente" => HandoffPriority.Urgent,
            _ => HandoffPriority.Normal,
        };
        result.Handoff ??= new HandoffRequest(why, level, reason);
        return "A human agent will take over this conversation. Tell the customer briefly and kindly that a person will answer shortly; do not promise a time.";
    }

    public Task<string> UpdateLead(
        [Description("The name of one of the business's pipeline stages (listed with the lead in your instructions)")] string? stage = null,
        string? name = null,
        string? email = null,
        string? company = null,
        [Description("Custom fields as key/value pairs")] Dictionary<string, string>? fields = null) =>
        effects.UpdateLeadAsync(new LeadUpdate(stage, name, email, company, fields), CancellationToken.None);

    public async Task<string> CheckAvailability(
        [Description("First day, YYYY-MM-DD")] string from_date,
        [Description("Last day, YYYY-MM-DD (at most 14 days after from_date)")] string to_date)
    {
        if (!DateOnly.TryParse(from_date, CultureInfo.InvariantCulture, out var from) || !DateOnly.TryParse(to_date, CultureInfo.InvariantCulture, out var to))
            return "Error: dates must be YYYY-MM-DD.";
        if (to < from) (from, to) = (to, from);
        if (to.DayNumber - from.DayNumber > 14) to = from.AddDays(14);
        var slots = await effects.FreeSlotsAsync(from, to, CancellationToken.None);
        var zone = input.Profile.Zone;
        var mine = await effects.UpcomingAppointmentsAsync(CancellationToken.None);
        // The model needs the ids to move or cancel the right one; they are this customer's only.
        var upcoming = mine.Count == 0 ? "" : "\nThis customer's upcoming appointments: " +
            string.Join(", ", mine.Select(a => $"{TimeZoneInfo.ConvertTime(a.StartsAt, zone).ToString("yyyy-MM-dd ddd HH:mm", CultureInfo.InvariantCulture)} (appointment_id {a.Id}, {a.Status.ToString().ToLowerInvariant()})"));
        if (slots.Count == 0) return $"No free slots between {from:yyyy-MM-dd} and {to:yyyy-MM-dd}." + upcoming;
        return "Free slots (local time, " + input.Profile.AppointmentMinutes + " min): " +
               string.Join(", ", slots.Select(s => TimeZoneInfo.ConvertTime(s, zone).ToString("yyyy-MM-dd ddd HH:mm", CultureInfo.InvariantCulture))) + upcoming;
    }

    public async Task<string> RescheduleAppointment(
        [Description("New start, YYYY-MM-DDTHH:mm in the business's local time")] string start,
        [Description("Which of the customer's appointments (from check_availability); leave out when they have only one")] string? appointment_id = null)
    {
        if (!TryLocal(start, out var at)) return "Error: start must be YYYY-MM-DDTHH:mm.";
        Guid? id = null;
        if (!string.IsNullOrWhiteSpace(appointment_id))
        {
            if (!Guid.TryParse(appointment_id, out var parsed)) return "Error: appointment_id is the id given by check_availability.";
            id = parsed;
        }
        return await effects.RescheduleAsync(id, at, CancellationToken.None);
    }

    public async Task<string> CancelAppointment(
        [Description("Which of the customer's appointments (from check_availability); leave out when they have only one")] string? appointment_id = null,
        [Description("Why, in a few words")] string? reason = null)
    {
        Guid? id = null;
        if (!string.IsNullOrWhiteSpace(appointment_id))
        {
            if (!Guid.TryParse(appointment_id, out var parsed)) return "Error: appointment_id is the id given by check_availability.";
            id = parsed;
        }
        return await effects.CancelAppointmentAsync(id, reason, CancellationToken.None);
    }

    private bool TryLocal(string text, out DateTimeOffset at)
    {
        at = default;
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return false;
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        at = new DateTimeOffset(local, input.Profile.Zone.GetUtcOffset(local));
        return true;
    }

    public async Task<string> BookAppointment(
        [Description("Start, YYYY-MM-DDTHH:mm in the business's local time")] string start,
        string? name = null,
        string? email = null,
        string? notes = null)
    {
        if (!DateTime.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return "Error: start must be YYYY-MM-DDTHH:mm.";
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        var at = new DateTimeOffset(local, input.Profile.Zone.GetUtcOffset(local));
        var outcome = await effects.BookAsync(at, name, email, notes, CancellationToken.None);
        return outcome.Message;
    }

    public async Task<string> SendPaymentLink(
        [Description("The product, service or plan, by its name in the business's catalogue")] string product_or_plan,
        [Description("Only when the business allows custom amounts (a deposit, an agreed quote); otherwise ignored and the catalogue's price is charged")] decimal? amount = null,
        [Description("Ignored: the catalogue's currency is charged")] string? currency = null,
        [Description("How many units of the product (1 when left out)")] int? quantity = null)
    {
        // The amount comes from the business's catalogue: a customer can talk a model into any number. Only an owner's
        // explicit "custom amount" setting lets the model name one, and never above the owner's maximum.
        var product = await effects.FindProductAsync(product_or_plan ?? "", CancellationToken.None);
        if (product is null)
        {
            var products = await effects.ActiveProductsAsync(CancellationToken.None);
            return products.Count == 0
                ? "Error: no payment link sent. The business has no products with prices configured; offer to hand over to a person."
                : $"Error: no payment link sent. There is no product named '{product_or_plan}'. Available: {string.Join(", ", products.Select(Price))}. " +
                  "Call send_payment_link again with one of these names.";
        }
        var units = quantity ?? 1;
        if (units is < 1 or > 100) return "Error: no payment link sent. The quantity must be between 1 and 100.";
        var rule = await effects.CustomAmountRuleAsync(CancellationToken.None);
        decimal? custom = null;
        if (rule.Allowed && amount is { } wanted && wanted != product.Price * units)
        {
            if (wanted <= 0 || wanted > rule.Max)
                return $"Error: no payment link sent. The amount {Money(wanted, product.Currency)} is above the maximum of {Money(rule.Max, product.Currency)} " +
                       $"the business allows (or not positive). Charge the catalogue price {Money(product.Price, product.Currency)} or hand over to a person.";
            custom = decimal.Round(wanted, 2);
        }
        var total = custom ?? product.Price * units;
        var link = await effects.CreatePaymentLinkAsync(product, units, custom, CancellationToken.None);
        var what = units > 1 ? $"{product.Name} × {units}" : product.Name;
        var summary = $"{what}: {Money(total, product.Currency)}";
        // A "Pay" button on WhatsApp (the address behind it); text elsewhere, and wherever the address is not https.
        var button = new OutboundContent { Link = new LinkContent(summary, result.Language == "en" ? "Pay now" : "Pagar ahora", link) };
        result.Replies.Add(OutboundValidator.Validate(input.Channel, button).Count == 0 ? button : new OutboundContent { Text = $"{summary}\n{link}" });
        var ignored = custom is null && ((amount is { } a && a != product.Price * units) ||
                                         (!string.IsNullOrWhiteSpace(currency) && !string.Equals(currency.Trim(), product.Currency, StringComparison.OrdinalIgnoreCase)))
            ? $" Note: the amount given ({amount?.ToString("0.##", CultureInfo.InvariantCulture)} {currency}) was ignored; the catalogue price {Money(total, product.Currency)} was charged."
            : "";
        return $"Payment link for {what} ({Money(total, product.Currency)}) sent to the customer: {link}.{ignored}";
    }

    private static string Money(decimal amount, string currency) => $"{amount.ToString("0.##", CultureInfo.InvariantCulture)} {currency}";

    private static string Price(Product p) => $"{p.Name} ({Money(p.Price, p.Currency)})";

    public async Task<string> SendFile([Description("The file's name as the business calls it")] string document)
    {
        var file = await effects.FindFileAsync(document ?? "", CancellationToken.None);
        if (file is null)
        {
            var names = await effects.FileNamesAsync(CancellationToken.None);
            return names.Count == 0 ? "Error: the business has no files to send."
                : $"Error: no file named '{document}'. Available: {string.Join(", ", names)}.";
        }
        var link = await effects.FileLinkAsync(file, CancellationToken.None);
        result.Replies.Add(new OutboundContent { Media = new MediaContent(file.Kind, link, null, file.Name, file.FileName) });
        return $"File '{file.Name}' sent.";
    }

    public string SendOptions(
        [Description("The question or message shown with the options")] string text,
        [Description("The options, 2 to 10 short labels")] string[] options)
    {
        var labels = (options ?? []).Select(o => o?.Trim() ?? "").Where(o => o.Length > 0).Distinct().ToList();
        if (string.IsNullOrWhiteSpace(text)) return "Error: text is required.";
        if (labels.Count is < 1 or > MaxOptions) return $"Error: give between 1 and {MaxOptions} options.";
        OutboundContent content;
        if (labels.Count <= OutboundValidator.WhatsAppButtonsMax && labels.All(l => l.Length <= OutboundValidator.WhatsAppButtonTitleMax))
        {
            content = new OutboundContent { Buttons = new ButtonsContent(text, labels.Select((l, i) => new ReplyButton($"opt_{i + 1}", l)).ToList()) };
        }
        else
        {
            // Row titles are short on WhatsApp: a long option keeps its full wording in the row's description.
            var rows = labels.Select((l, i) => l.Length <= OutboundValidator.WhatsAppRowTitleMax
                ? new ListRow($"opt_{i + 1}", l, null)
                : new ListRow($"opt_{i + 1}", l[..(OutboundValidator.WhatsAppRowTitleMax - 1)] + "…", l.Length <= 72 ? l : l[..72])).ToList();
            // The customer's language (detected for this turn), not only the business's default.
            var button = result.Language == "en" ? "Options" : "Opciones";
            content = new OutboundContent { List = new ListContent(text, button, [new ListSection(null, rows)]) };
        }
        var problems = OutboundValidator.Validate(input.Channel, content);
        if (problems.Count > 0) return "Error: " + string.Join("; ", problems.Select(p => p.Message));
        result.Replies.Add(content);
        return input.Channel == ChannelKind.WhatsApp ? "Options sent as tappable choices." : "Options sent as a numbered list.";
    }

    public async Task<string> SearchKnowledge([Description("What to look up")] string query)
    {
        var passages = await effects.SearchKnowledgeAsync(query ?? "", Knowledge.KnowledgeBase.ToolPassages, CancellationToken.None);
        foreach (var p in passages.Where(p => result.Passages.All(q => q.Text != p.Text))) result.Passages.Add(p);
        return passages.Count == 0 ? "Nothing found in the knowledge base."
            : string.Join("\n", passages.Select((p, i) => $"[{i + 1}] {p.Title}: {p.Text}"));
    }

    /// <summary>Wraps a tool so every call is timed and recorded, and an exception becomes an error the model can read.</summary>
    public sealed class RecordedFunction(AIFunction inner, TurnResult result) : DelegatingAIFunction(inner)
    {
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken ct)
        {
            var args = JsonSerializer.Serialize(arguments.ToDictionary(kv => kv.Key, kv => kv.Value), Json);
            var watch = Stopwatch.StartNew();
            try
            {
                var output = await base.InvokeCoreAsync(arguments, ct);
                var text = output switch { null => "", string s => s, JsonElement e => e.ToString(), _ => JsonSerializer.Serialize(output, Json) };
                var error = text.StartsWith("Error:", StringComparison.Ordinal) ? text["Error:".Length..].Trim() : null;
                lock (result) result.ToolCalls.Add(new ToolCallRecord(Name, args, text, error, watch.Elapsed));
                return output;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                lock (result) result.ToolCalls.Add(new ToolCallRecord(Name, args, null, ex.Message, watch.Elapsed));
                return $"Error: {ex.Message}";
            }
        }
    }
}
