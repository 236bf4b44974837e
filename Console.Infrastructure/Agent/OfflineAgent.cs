using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>When the offline agent says it is an automatic assistant. Key: Llm:OfflineNotice.</summary>
public enum OfflineNoticeMode { Once, Never, Always }

/// <summary>
/// The agent without a model (no Llm:ApiKey): a few rules that call the SAME built-in tools the model would, through the
/// same recorded functions, so bookings, payment links and handoffs pass exactly the checks they pass for the model and
/// show up as tool calls in the conversation. An appointment request offers free slots as a list and books the one
/// chosen; a price question gets the one matching line of the knowledge base; "pagar" sends a catalogue payment link;
/// asking for a person hands off; anything else gets a short answer with the options.
/// </summary>
public sealed partial class OfflineAgent(OfflineNoticeMode notice)
{
    /// <summary>Slots offered at once (WhatsApp lists hold 10 rows).</summary>
    public const int SlotsOffered = BuiltInTools.MaxOptions;

    public async Task RunAsync(TurnInput input, TurnResult result, ITurnEffects effects, CancellationToken ct)
    {
        result.Offline = true;
        // Our notes about a voice note or image are not the customer's words: only what they said or wrote counts.
        var text = string.Join("\n", MediaLines.Spoken(input.NewCustomerTexts)).Trim();
        // "09:00" or "2" says nothing about the language: the customer's earlier messages do.
        var earlier = MediaLines.Spoken(input.History.Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text));
        var lang = result.Language = CustomerLanguage.Detect(MediaLines.Spoken(input.NewCustomerTexts), CustomerLanguage.Detect(earlier, input.DefaultLanguage));
        // The owner's switches hold here too: a tool switched off is never called, and what needs it is not offered.
        var tools = new BuiltInTools(input, result, effects).Functions.Where(f => !input.DisabledBuiltIns.Contains(f.Name)).ToDictionary(f => f.Name);
        var turn = new Turn(input, result, effects, lang, tools, ct);
        var retrieved = result.Passages.ToList();
        result.Passages.Clear(); // only the passage actually used is reported as knowledge used

        if (text.Length == 0 && input.NewCustomerTexts.Any(MediaLines.IsUnread))
        {
            // Without a model a voice note or picture cannot be read: ask for it in writing rather than guess.
            var voice = input.NewCustomerTexts.Any(t => t.StartsWith(MediaLines.UnreadVoiceNote, StringComparison.Ordinal));
            result.Replies.Add(new OutboundContent
            {
                Text = voice
                    ? turn.T("Perdona, no puedo escuchar notas de voz. ¿Me lo escribes en un mensaje?", "Sorry, I can't listen to voice notes. Could you write it in a message?")
                    : turn.T("Perdona, no puedo ver imágenes. ¿Me cuentas por escrito qué necesitas?", "Sorry, I can't see images. Could you tell me in writing what you need?"),
            });
            AddNotice(input, result, lang);
            return;
        }

        var lastBot = LastBusinessMessage(input);
        var intent = OfflineIntents.Classify(text);
        if (intent == OfflineIntent.Person && turn.CanHandOff) await HandOffAsync(turn);
        else if (turn.CanBook && lastBot is not null && OfferedDay(lastBot, input) is { } offered && intent is OfflineIntent.None
                 && (OfflineIntents.Time(text) is not null || OfflineIntents.OptionNumber(text) is not null))
            await BookChoiceAsync(turn, offered, text);
        else if (turn.CanPay && lastBot is not null && IsProductOffer(lastBot) && intent is OfflineIntent.None or OfflineIntent.Payment
                 && await PayAsync(turn, text, offerIfUnclear: false)) { }
        else if (intent == OfflineIntent.Appointment && turn.CanBook)
            await OfferSlotsAsync(turn, OfflineIntents.Day(text, Today(input)), OfflineIntents.Time(text) ?? OfflineIntents.PartOfDay(text)?.From);
        else if (intent == OfflineIntent.Payment && turn.CanPay) await PayAsync(turn, text, offerIfUnclear: true);
        else if (!await AnswerFromKnowledgeAsync(turn, text, retrieved, intent == OfflineIntent.Price)) await FallbackAsync(turn);

        AddNotice(input, result, lang);
    }

    private sealed record Turn(TurnInput Input, TurnResult Result, ITurnEffects Effects, string Lang, Dictionary<string, AIFunction> Tools,
        CancellationToken Ct)
    {
        public string T(string es, string en) => Lang == "en" ? en : es;

        public CultureInfo Culture => CultureInfo.GetCultureInfo(Lang == "en" ? "en-US" : "es-MX");

        public bool CanHandOff => Tools.ContainsKey("escalate_to_human");
        public bool CanBook => Tools.ContainsKey("check_availability") && Tools.ContainsKey("book_appointment");
        public bool CanPay => Tools.ContainsKey("send_payment_link");

        /// <summary>Calls a built-in tool exactly as the model's function invocation would (recorded, errors as text).</summary>
        public async Task<string> CallAsync(string tool, AIFunctionArguments arguments)
        {
            if (!Tools.TryGetValue(tool, out var function)) return $"Error: {tool} is switched off.";
            var output = await function.InvokeAsync(arguments, Ct);
            return output switch
            {
                null => "",
                string s => s,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
                JsonElement e => e.ToString(),
                _ => output.ToString() ?? "",
            };
        }
    }

    private static TurnMessage? LastBusinessMessage(TurnInput input)
    {
        TurnMessage? last = null;
        foreach (var m in input.History)
        {
            if (m.Sender is MessageSender.Bot or MessageSender.Agent) last = m;
        }
        return last;
    }

    // ── a person ────────────────────────────────────────────────────────────────────────────────────────────────────

    private static async Task HandOffAsync(Turn turn)
    {
        await turn.CallAsync("escalate_to_human", new AIFunctionArguments { ["reason"] = "user_requested", ["priority"] = "normal" });
        turn.Result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(turn.Lang) });
    }

    // ── appointments ────────────────────────────────────────────────────────────────────────────────────────────────

    private static string DayName(DateOnly day, string lang) => lang == "en"
        ? day.ToString("dddd, MMMM d", CultureInfo.GetCultureInfo("en-US"))
        : day.ToString("dddd d 'de' MMMM", CultureInfo.GetCultureInfo("es-MX"));

    private static string OfferText(string lang, DateOnly day, TimeOnly? from, string? lead)
    {
        var since = from is { } f ? (lang == "en" ? $" from {f:HH:mm}" : $" a partir de las {f:HH:mm}") : "";
        var offer = lang == "en"
            ? $"These times are free on {DayName(day, lang)}{since}. Which one suits you?"
            : $"Estos horarios están libres el {DayName(day, lang)}{since}. ¿Cuál te queda mejor?";
        return lead is null ? offer : lead + " " + offer;
    }

    /// <summary>The day (and first time) of the slot offer this message made, if it was one.</summary>
    private static (DateOnly Day, TimeOnly? From)? OfferedDay(TurnMessage message, TurnInput input)
    {
        var today = Today(input);
        for (var d = -2; d <= 21; d++)
        {
            var day = today.AddDays(d);
            foreach (var lang in new[] { "es", "en" })
            {
                var name = DayName(day, lang);
                var at = message.Text.IndexOf(lang == "en" ? $"free on {name}" : $"libres el {name}", StringComparison.Ordinal);
                if (at < 0) continue;
                var from = FromTime().Match(message.Text, at);
                return (day, from.Success ? TimeOnly.ParseExact(from.Groups[1].Value, "HH:mm", CultureInfo.InvariantCulture) : null);
            }
        }
        return null;
    }

    [GeneratedRegex(@"\G[^.]*?(?:from|a partir de las) (\d{2}:\d{2})")]
    private static partial Regex FromTime();

    [GeneratedRegex(@"(\d{4}-\d{2}-\d{2}) \w{3} (\d{2}:\d{2})")]
    private static partial Regex SlotInToolOutput();

    /// <summary>Free slots of the days asked, read from check_availability's answer (the same text the model reads).</summary>
    private static async Task<List<DateTime>> FreeSlotsAsync(Turn turn, DateOnly from, DateOnly to)
    {
        var output = await turn.CallAsync("check_availability", new AIFunctionArguments
        {
            ["from_date"] = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to_date"] = to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        });
        return SlotInToolOutput().Matches(output)
            .Select(m => DateTime.ParseExact($"{m.Groups[1].Value} {m.Groups[2].Value}", "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).ToList();
    }

    private static DateOnly Today(TurnInput input) => DateOnly.FromDateTime(input.Profile.LocalTime(input.Now));

    /// <param name="asked">The day the customer named, if any.</param>
    /// <param name="start">The time (or start of the part of the day) the customer asked for, if any.</param>
    private static async Task OfferSlotsAsync(Turn turn, DateOnly? asked, TimeOnly? start, string? lead = null)
    {
        var today = Today(turn.Input);

        var slots = asked is { } day ? await FreeSlotsAsync(turn, day, day) : [];
        if (asked is { } none && slots.Count == 0)
        {
            lead = (lead is null ? "" : lead + " ") + turn.T($"El {DayName(none, "es")} no tengo horarios libres.", $"There are no free times on {DayName(none, "en")}.");
            slots = await FreeSlotsAsync(turn, none.AddDays(1), none.AddDays(7));
        }
        else if (asked is null)
        {
            slots = await FreeSlotsAsync(turn, today, today.AddDays(7));
        }
        if (slots.Count == 0)
        {
            // Nothing free in the next week: a person finds a time (same rule as any tool the agent cannot finish).
            await turn.CallAsync("escalate_to_human", new AIFunctionArguments { ["reason"] = "no free appointment slots", ["priority"] = "normal" });
            turn.Result.Replies.Add(new OutboundContent
            {
                Text = turn.T("No encuentro horarios libres en los próximos días. Una persona de nuestro equipo te escribirá para buscar uno.",
                    "I can't find free times in the coming days. A person from our team will write to you to find one."),
            });
            return;
        }
        // One day at a time: the first day with free slots, from the part of the day (or the time) asked for.
        var offeredDay = DateOnly.FromDateTime(slots[0]);
        var sameDay = slots.Where(s => DateOnly.FromDateTime(s) == offeredDay).ToList();
        TimeOnly? from = null;
        if (start is { } s0 && sameDay.FirstOrDefault(s => TimeOnly.FromDateTime(s) >= s0) is { } first && first != default && first != sameDay[0])
            from = TimeOnly.FromDateTime(first);
        var offered = Offered(sameDay, from);
        var options = offered.Select(s => s.ToString("HH:mm", CultureInfo.InvariantCulture)).ToArray();
        await OptionsAsync(turn, OfferText(turn.Lang, offeredDay, from, lead), options);
    }

    /// <summary>A question with options to tap; written out as a numbered list when the owner switched send_options off.</summary>
    private static async Task OptionsAsync(Turn turn, string text, string[] options)
    {
        var output = await turn.CallAsync("send_options", new AIFunctionArguments { ["text"] = text, ["options"] = options });
        if (output.StartsWith("Error:", StringComparison.Ordinal))
            turn.Result.Replies.Add(new OutboundContent { Text = text + "\n" + string.Join("\n", options.Select((o, i) => $"{i + 1}. {o}")) });
    }

    private static List<DateTime> Offered(List<DateTime> day, TimeOnly? from) =>
        day.Where(s => from is null || TimeOnly.FromDateTime(s) >= from).Take(SlotsOffered).ToList();

    private static async Task BookChoiceAsync(Turn turn, (DateOnly Day, TimeOnly? From) offer, string text)
    {
        DateTime? chosen = null;
        if (OfflineIntents.Time(text) is { } time) chosen = offer.Day.ToDateTime(time);
        else if (OfflineIntents.OptionNumber(text) is { } n)
        {
            // A numbered reply (channels without lists): the same offer, recomputed the same way.
            var offered = Offered(await FreeSlotsAsync(turn, offer.Day, offer.Day), offer.From);
            if (n <= offered.Count) chosen = offered[n - 1];
        }
        if (chosen is not { } at)
        {
            await OfferSlotsAsync(turn, offer.Day, offer.From);
            return;
        }
        var contact = turn.Input.Lead;
        var outcome = await turn.CallAsync("book_appointment", new AIFunctionArguments
        {
            ["start"] = at.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture),
            ["name"] = contact.Name,
        });
        var when = turn.Lang == "en"
            ? $"{DayName(DateOnly.FromDateTime(at), "en")} at {at:HH:mm}"
            : $"{DayName(DateOnly.FromDateTime(at), "es")} a las {at:HH:mm}";
        if (!outcome.StartsWith("Error:", StringComparison.Ordinal))
        {
            turn.Result.Replies.Add(new OutboundContent
            {
                Text = turn.T($"¡Listo! Tu cita quedó agendada el {when}. Si necesitas cambiarla, escríbenos por aquí.",
                    $"Done! Your appointment is booked for {when}. If you need to change it, just write to us here."),
            });
            return;
        }
        if (outcome.Contains("not free", StringComparison.Ordinal) || outcome.Contains("took that time", StringComparison.Ordinal))
        {
            await OfferSlotsAsync(turn, offer.Day, null,
                turn.T($"El horario de las {at:HH:mm} ya no está libre.", $"{at:HH:mm} is no longer free."));
            return;
        }
        // Any other refusal (the customer already holds the most bookings allowed): a person sorts it out.
        await turn.CallAsync("escalate_to_human", new AIFunctionArguments { ["reason"] = "booking refused: " + outcome, ["priority"] = "normal" });
        turn.Result.Replies.Add(new OutboundContent
        {
            Text = turn.T("No pude agendar esa cita. Una persona de nuestro equipo te ayudará en breve.",
                "I couldn't book that appointment. A person from our team will help you shortly."),
        });
    }

    // ── payments ────────────────────────────────────────────────────────────────────────────────────────────────────

    private const string ProductOfferEs = "¿Qué quieres pagar?";
    private const string ProductOfferEn = "What would you like to pay for?";

    private static bool IsProductOffer(TurnMessage message) =>
        message.Text.Contains(ProductOfferEs, StringComparison.Ordinal) || message.Text.Contains(ProductOfferEn, StringComparison.Ordinal);

    /// <summary>Sends the link for the product named; if none is clear, offers the catalogue (or says what is missing).</summary>
    private static async Task<bool> PayAsync(Turn turn, string text, bool offerIfUnclear)
    {
        var products = await turn.Effects.ActiveProductsAsync(turn.Ct);
        var matches = OfflineIntents.MatchProducts(text, products);
        if (matches.Count == 0 && products.Count == 1 && offerIfUnclear) matches = [products[0]];
        if (matches.Count == 1)
        {
            var before = turn.Result.Replies.Count;
            var output = await turn.CallAsync("send_payment_link", new AIFunctionArguments { ["product_or_plan"] = matches[0].Name });
            if (turn.Result.Replies.Count > before && turn.Result.Replies[^1].Text is { } link)
            {
                turn.Result.Replies[^1] = new OutboundContent { Text = turn.T("Aquí tienes tu enlace de pago:", "Here is your payment link:") + "\n" + link };
                return true;
            }
            if (!offerIfUnclear) return false;
            await turn.CallAsync("escalate_to_human", new AIFunctionArguments { ["reason"] = "payment: " + output, ["priority"] = "normal" });
            turn.Result.Replies.Add(new OutboundContent
            {
                Text = turn.T("No pude generar el enlace de pago. Una persona de nuestro equipo te ayudará en breve.",
                    "I couldn't create the payment link. A person from our team will help you shortly."),
            });
            return true;
        }
        if (!offerIfUnclear) return false;
        var choices = (matches.Count > 1 ? matches : products).Take(BuiltInTools.MaxOptions).Select(p => p.Name).ToArray();
        if (choices.Length == 0)
        {
            await turn.CallAsync("escalate_to_human", new AIFunctionArguments { ["reason"] = "payment_issue: no products configured", ["priority"] = "normal" });
            turn.Result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(turn.Lang) });
            return true;
        }
        await OptionsAsync(turn, turn.T(ProductOfferEs, ProductOfferEn), choices);
        return true;
    }

    // ── knowledge ───────────────────────────────────────────────────────────────────────────────────────────────────

    private static async Task<bool> AnswerFromKnowledgeAsync(Turn turn, string text, List<Knowledge.KnowledgePassage> retrieved, bool priceQuestion)
    {
        if (OfflineIntents.BestLine(text, retrieved) is { } best)
        {
            turn.Result.Passages.Add(best.Passage);
            turn.Result.Replies.Add(new OutboundContent { Text = best.Line });
            return true;
        }
        if (!priceQuestion) return false;
        // "¿Cuáles son sus precios?" names no service: a few catalogue prices, not a whole document.
        var products = await turn.Effects.ActiveProductsAsync(turn.Ct);
        if (products.Count == 0) return false;
        var lines = products.Take(5).Select(p => $"• {p.Name}: {Money(p.Price, p.Currency, turn.Culture)}");
        turn.Result.Replies.Add(new OutboundContent
        {
            Text = turn.T("Algunos de nuestros precios:", "Some of our prices:") + "\n" + string.Join("\n", lines) +
                   "\n" + turn.T("¿Te interesa alguno? Puedo agendarte una cita.", "Interested in one? I can book you an appointment."),
        });
        return true;
    }

    private static string Money(decimal amount, string currency, CultureInfo culture) =>
        "$" + amount.ToString(amount == decimal.Truncate(amount) ? "#,0" : "#,0.00", culture) + " " + currency;

    // ── anything else ───────────────────────────────────────────────────────────────────────────────────────────────

    private static async Task FallbackAsync(Turn turn)
    {
        // Only what this agent can do is offered: no booking without its tools, no person without the handoff.
        if (!turn.CanBook && !turn.CanHandOff)
        {
            turn.Result.Replies.Add(new OutboundContent { Text = turn.T("¿En qué te puedo ayudar? Puedo darte precios e información de nuestros servicios.",
                "How can I help? I can tell you prices and about our services.") });
            return;
        }
        var text = (turn.CanBook, turn.CanHandOff) switch
        {
            (true, true) => turn.T("¿En qué te puedo ayudar? Puedo agendarte una cita, darte precios o pasarte con una persona del equipo.",
                "How can I help? I can book an appointment, tell you prices or pass you to a person from our team."),
            (true, false) => turn.T("¿En qué te puedo ayudar? Puedo agendarte una cita o darte precios.",
                "How can I help? I can book an appointment or tell you prices."),
            _ => turn.T("¿En qué te puedo ayudar? Puedo darte precios o pasarte con una persona del equipo.",
                "How can I help? I can tell you prices or pass you to a person from our team."),
        };
        var options = new List<string>();
        if (turn.CanBook) options.Add(turn.T("Agendar una cita", "Book appointment"));
        options.Add(turn.T("Ver precios", "See prices"));
        if (turn.CanHandOff) options.Add(turn.T("Hablar con persona", "Talk to a person"));
        var output = await turn.CallAsync("send_options", new AIFunctionArguments { ["text"] = text, ["options"] = options.ToArray() });
        if (output.StartsWith("Error:", StringComparison.Ordinal))
            turn.Result.Replies.Add(new OutboundContent { Text = CustomerLanguage.OfflineNoAnswer(turn.Lang) });
    }

    // ── the notice ──────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>"Soy el asistente automático…" in front of the first reply: once per conversation, always, or never.</summary>
    private void AddNotice(TurnInput input, TurnResult result, string lang)
    {
        if (notice == OfflineNoticeMode.Never || result.Replies.Count == 0) return;
        if (notice == OfflineNoticeMode.Once && input.History.Any(m => m.Sender == MessageSender.Bot && CustomerLanguage.IsOfflineNotice(m.Text))) return;
        var line = CustomerLanguage.OfflineNotice(lang, input.BusinessName);
        var first = result.Replies[0];
        result.Replies[0] = first switch
        {
            { Text: { } t } => first with { Text = line + "\n\n" + t },
            { Buttons: { } b } when line.Length + 2 + b.Body.Length <= OutboundValidator.WhatsAppButtonsBodyMax =>
                first with { Buttons = b with { Body = line + "\n\n" + b.Body } },
            { List: { } l } when line.Length + 2 + l.Body.Length <= OutboundValidator.WhatsAppListBodyMax =>
                first with { List = l with { Body = line + "\n\n" + l.Body } },
            _ => first,
        };
        if (ReferenceEquals(result.Replies[0], first)) result.Replies.Insert(0, new OutboundContent { Text = line });
    }
}
