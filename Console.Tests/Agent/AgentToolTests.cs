using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

public class AgentToolTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private FakeLlm Llm => agent.Llm;

    private static OutboundContent Content(Message m) => OutboundEnvelope.Parse(m.Payload)!.Content;

    private async Task<List<ConversationEvent>> ToolEventsAsync(TestCustomer customer) =>
        (await customer.EventsAsync()).Where(e => e.Type == ConversationEventType.ToolCalled).ToList();

    [Fact]
    public async Task escalate_to_human_hands_off_with_the_priority_and_the_models_words_to_the_customer()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Guid onlineMember;
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var owner = await work.Db.TenantMembers.SingleAsync();
            owner.ChoosePresence(OperatorConsole.Domain.Tenants.MemberPresence.Online, DateTimeOffset.UtcNow);
            await work.Db.SaveChangesAsync();
            onlineMember = owner.Id;
        }
        Llm.Reply(LlmAnswer.Call("escalate_to_human", new { reason = "user_frustrated", priority = "urgent" }),
            LlmAnswer.Say("Entiendo tu molestia, te paso con una persona ahora mismo."));
        await customer.SayAsync($"{customer.Marker} esto es terrible, llevo días esperando");

        var replies = await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        Assert.Equal("Entiendo tu molestia, te paso con una persona ahora mismo.", replies.Single().Body);
        // The only online member of the business gets it at once (round robin among online agents).
        var conversation = await Eventually.GetAsync(customer.ConversationAsync, c => c.AssignedMemberId is not null, "the automatic assignment");
        Assert.Equal(onlineMember, conversation.AssignedMemberId);
        Assert.Equal(ConversationOwner.Human, conversation.Owner);
        Assert.Equal(HandoffReason.UserFrustrated, conversation.HandoffReason);
        Assert.Equal(HandoffPriority.Urgent, conversation.Priority);
        var call = Assert.Single(await ToolEventsAsync(customer));
        Assert.Equal("escalate_to_human", call.Text);
        using var data = JsonDocument.Parse(call.Data!);
        Assert.Contains("user_frustrated", data.RootElement.GetProperty("input").GetString());
        Assert.True(data.RootElement.GetProperty("durationMs").GetInt32() >= 0);
    }

    [Fact]
    public async Task update_lead_records_the_customers_details_and_an_event()
    {
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with { LeadFields = ["tratamiento"] });
        Llm.Reply(LlmAnswer.Call("update_lead", new { stage = "Qualified", name = "Ana Pérez", email = "ana@example.com",
                fields = new Dictionary<string, string> { ["tratamiento"] = "ortodoncia" } }),
            LlmAnswer.Say("¡Gracias Ana!"));
        await customer.SayAsync($"{customer.Marker} soy Ana Pérez, ana@example.com, quiero ortodoncia");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var contact = await work.Db.Contacts.AsNoTracking().SingleAsync();
        Assert.Equal("Ana Pérez", contact.Name);
        Assert.Equal("ana@example.com", contact.Email);
        // "Qualified" is the default stage the Spanish workspace calls "Calificado".
        Assert.Equal("Calificado", await work.Db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleAsync());
        Assert.Equal("ortodoncia", contact.Fields["tratamiento"]);
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.StageChanged && e.Text == "Nuevo → Calificado");
    }

    [Fact]
    public async Task update_lead_finds_the_workspaces_stage_ignoring_case_and_accents_and_an_unknown_one_is_an_error_naming_the_stages()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.Reply(LlmAnswer.Call("update_lead", new { stage = "Propuesta" }),
            LlmAnswer.Call("update_lead", new { stage = "cita AGENDADA" }),
            LlmAnswer.Say("Te esperamos."));
        await customer.SayAsync($"{customer.Marker} ya agendé mi cita");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        var calls = await ToolEventsAsync(customer);
        Assert.Equal(2, calls.Count);
        Assert.Contains(calls, c => c.Data!.Contains("Unknown stage 'Propuesta'. Use one of: Nuevo, Contactado, Calificado, Cita agendada, Ganado, Perdido."));
        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var contact = await work.Db.Contacts.AsNoTracking().SingleAsync();
        Assert.Equal("Cita agendada", await work.Db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleAsync());
        var history = await work.Db.LeadStageChanges.SingleAsync(h => h.ContactId == contact.Id);
        Assert.Equal(("agent", "update_lead"), (history.ChangedBy, history.Reason));
    }

    [Fact]
    public async Task check_availability_offers_free_slots_and_book_appointment_books_one_that_cannot_be_double_booked()
    {
        var hours = new BusinessHours([new OpeningInterval(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(11, 0)),
            new OpeningInterval(DayOfWeek.Tuesday, new TimeOnly(9, 0), new TimeOnly(11, 0))]);
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with { BusinessHours = hours, AppointmentMinutes = 60, TimeZone = "America/Mexico_City" });
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime);
        var monday = today.AddDays(((int)DayOfWeek.Monday - (int)today.DayOfWeek + 7) % 7 + 7); // a Monday at least a week ahead
        Llm.Reply(LlmAnswer.Call("check_availability", new { from_date = monday.ToString("yyyy-MM-dd"), to_date = monday.AddDays(1).ToString("yyyy-MM-dd") }),
            LlmAnswer.Call("book_appointment", new { start = $"{monday:yyyy-MM-dd}T10:00", name = "Ana", notes = "limpieza" }),
            LlmAnswer.Say("Listo, tu cita quedó agendada."));
        await customer.SayAsync($"{customer.Marker} quiero una cita el lunes");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        var calls = await ToolEventsAsync(customer);
        var availability = calls.Single(c => c.Text == "check_availability");
        Assert.True(availability.Data!.Contains("\"output\": \"Free"), availability.Data);
        var output = JsonDocument.Parse(availability.Data!).RootElement.GetProperty("output").GetString() ?? availability.Data!;
        Assert.Contains($"{monday:yyyy-MM-dd} Mon 09:00", output);
        Assert.Contains($"{monday:yyyy-MM-dd} Mon 10:00", output);
        Assert.Contains($"{monday.AddDays(1):yyyy-MM-dd} Tue 09:00", output);
        Assert.DoesNotContain("11:00", output);
        // The booking's answer hands the model the customer's "add to calendar" links.
        var booking = JsonDocument.Parse(calls.Single(c => c.Text == "book_appointment").Data!).RootElement.GetProperty("output").GetString()!;
        Assert.Contains("https://calendar.google.com/calendar/render?action=TEMPLATE", booking);
        Assert.Contains("/invite/", booking);

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var appointment = await work.Db.Appointments.AsNoTracking().SingleAsync();
        Assert.Equal(new DateTimeOffset(monday.ToDateTime(new TimeOnly(10, 0)), zone.GetUtcOffset(monday.ToDateTime(new TimeOnly(10, 0)))), appointment.StartsAt);
        Assert.Equal(TimeSpan.FromHours(1), appointment.EndsAt - appointment.StartsAt);

        // The database itself refuses an overlapping booking (two nodes racing for the slot).
        var contact = await work.Db.Contacts.AsNoTracking().SingleAsync();
        work.Db.Appointments.Add(Appointment.Book(customer.TenantId, contact.Id, appointment.ResourceId, null, appointment.StartsAt.AddMinutes(30), TimeSpan.FromHours(1),
            "Otro", null, null, DateTimeOffset.UtcNow));
        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => work.Db.SaveChangesAsync());
        Assert.True(OperatorConsole.Infrastructure.Data.DbErrors.IsExclusionViolation(ex));
    }

    [Fact]
    public async Task send_payment_link_creates_the_payment_request_for_the_named_product_and_sends_its_link()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        var productId = await BusinessAbuseTests.ProductAsync(agent.App, customer.TenantId, "Limpieza dental", 600m, "mxn");
        Llm.Reply(LlmAnswer.Call("send_payment_link", new { product_or_plan = "limpieza DENTAL" }), LlmAnswer.Say("Te envié el enlace de pago."));
        await customer.SayAsync($"{customer.Marker} quiero pagar la limpieza");
        var replies = await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var link = await work.Db.PaymentLinks.AsNoTracking().SingleAsync();
        Assert.Equal(600m, link.Amount);
        Assert.Equal("MXN", link.Currency);
        Assert.Equal(productId, link.ProductId);
        Assert.Equal(PaymentLinkStatus.Pending, link.Status);
        Assert.Contains(replies, m => m.Body!.Contains($"/pay/{link.Id}") && m.Body.Contains("600 MXN"));
        // The link opens without signing in and shows what is asked; a made-up id shows nothing.
        var page = await agent.App.CreateClient().GetStringAsync($"/pay/{link.Id}");
        Assert.Contains("Limpieza dental", page);
        Assert.Contains("MXN", page);
        Assert.DoesNotContain("Limpieza dental", await agent.App.CreateClient().GetStringAsync($"/pay/{Guid.NewGuid()}"));
    }

    [Fact]
    public async Task send_file_sends_the_named_file_as_a_document_link()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            work.Db.AgentFiles.Add(AgentFile.Create(customer.TenantId, "Lista de precios", "https://files.example.com/precios.pdf", "document",
                "precios.pdf", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        Llm.Reply(LlmAnswer.Call("send_file", new { document = "lista de precios" }), LlmAnswer.Say("Aquí tienes la lista."));
        await customer.SayAsync($"{customer.Marker} me pasas los precios?");
        var replies = await customer.WaitForBotMessagesAsync(2);

        var file = replies.Single(m => m.Type == MessageType.Document);
        var media = Content(file).Media!;
        Assert.Equal("https://files.example.com/precios.pdf", media.Link);
        Assert.Equal("precios.pdf", media.FileName);
    }

    [Fact]
    public async Task send_options_uses_reply_buttons_for_three_short_options_and_a_list_for_more()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.Reply(LlmAnswer.Call("send_options", new { text = "¿Qué día prefieres?", options = new[] { "Lunes", "Martes", "Miércoles" } }),
            LlmAnswer.Call("send_options", new { text = "¿Qué servicio?", options = new[] { "Limpieza", "Blanqueamiento", "Ortodoncia", "Extracción", "Revisión general del paciente nuevo" } }),
            LlmAnswer.Say(""));
        await customer.SayAsync($"{customer.Marker} quiero una cita");
        var replies = await customer.WaitForBotMessagesAsync(2);

        var buttons = Content(replies[0]).Buttons!;
        Assert.Equal(["Lunes", "Martes", "Miércoles"], buttons.Buttons.Select(b => b.Title));
        var list = Content(replies[1]).List!;
        var rows = list.Sections.Single().Rows;
        Assert.Equal(5, rows.Count);
        Assert.True(rows.All(r => r.Title.Length <= OutboundValidator.WhatsAppRowTitleMax));
        Assert.Equal("Revisión general del paciente nuevo", rows[4].Description);
    }

    [Fact]
    public async Task send_options_with_eleven_options_is_refused_with_the_limit_named()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.Reply(LlmAnswer.Call("send_options", new { text = "Elige", options = Enumerable.Range(1, 11).Select(i => $"Opción {i}").ToArray() }),
            LlmAnswer.Say("Dime qué servicio te interesa."));
        await customer.SayAsync($"{customer.Marker} opciones");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        Assert.Single(await customer.BotMessagesAsync());
        var call = Assert.Single(await ToolEventsAsync(customer));
        Assert.Contains("between 1 and 10", JsonDocument.Parse(call.Data!).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_lead_analysis_scores_the_lead_and_a_frustrated_customer_is_handed_to_a_human()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.Analysis(new { interested = true, urgent = true, budgetMentioned = false, decisionMaker = false, comparing = false, notInterested = false,
            spam = false, frustrated = false, paymentIssue = false, suggestedStage = "Qualified", summary = "Quiere una limpieza pronto." });
        await customer.SayAsync($"{customer.Marker} necesito una limpieza urgente esta semana");
        await customer.WaitForBotMessagesAsync(1);

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var contact = await Eventually.GetAsync(() => work.Db.Contacts.AsNoTracking().SingleAsync(), c => c.Score != Contact.InitialScore, "the score to change");
        Assert.Equal(75, contact.Score);
        Assert.Equal(LeadTemperature.Hot, contact.Temperature);
        Assert.Equal("Calificado", await work.Db.PipelineStages.Where(s => s.Id == contact.StageId).Select(s => s.Name).SingleAsync());
        Assert.Equal("Quiere una limpieza pronto.", contact.Summary);
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.LeadChanged && e.Text!.Contains("score 50 → 75") && e.Text.Contains("urgent +15"));

        Llm.Analysis(new { interested = true, urgent = true, budgetMentioned = false, decisionMaker = false, comparing = false, notInterested = false,
            spam = false, frustrated = true, paymentIssue = false });
        await customer.SayAsync($"{customer.Marker} ya me cansé de esperar");
        await Eventually.TrueAsync(async () => (await customer.ConversationAsync()).Owner == ConversationOwner.Unassigned, "the handoff");
        var conversation = await customer.ConversationAsync();
        Assert.Equal(HandoffReason.UserFrustrated, conversation.HandoffReason);
        Assert.Contains(await customer.BotMessagesAsync(), m => m.Body!.Contains("persona de nuestro equipo"));
    }

    [Fact]
    public async Task An_analysis_the_model_garbles_leaves_the_lead_as_it_was_and_still_counts_its_tokens()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        Llm.AnalysisText("{ \"interested\": tru");
        await customer.SayAsync($"{customer.Marker} hola, quiero información");
        await customer.WaitForBotMessagesAsync(1);

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var usage = await Eventually.GetAsync(() => work.Db.TokenUsage.AsNoTracking().Where(u => u.Feature == LlmFeature.Analysis).ToListAsync(),
            u => u.Count > 0, "the analysis's token usage");
        Assert.Single(usage);
        await customer.WaitUntilSettledAsync();
        Assert.Equal(Contact.InitialScore, (await work.Db.Contacts.AsNoTracking().SingleAsync()).Score);
        Assert.DoesNotContain(await customer.EventsAsync(), e => e.Type == ConversationEventType.LeadChanged);
    }

    [Fact]
    public async Task Retrieved_knowledge_goes_into_the_prompt_and_search_knowledge_finds_more_on_request()
    {
        var customer = await TestCustomer.CreateAsync(agent.App);
        await using (var work = agent.App.Scopes.ForTenant(customer.TenantId))
        {
            var kb = work.Services.GetRequiredService<OperatorConsole.Infrastructure.Agent.Knowledge.KnowledgeBase>();
            await kb.AddAsync("Precios", "Limpieza dental: $600 MXN, incluye revisión.", default);
            await kb.AddAsync("Formas de pago", "Aceptamos tarjeta, efectivo y transferencia.", default);
        }
        Llm.Reply(LlmAnswer.Call("search_knowledge", new { query = "formas de pago transferencia" }), LlmAnswer.Say("Cuesta $600 y aceptamos transferencia."));
        await customer.SayAsync($"{customer.Marker} ¿cuánto cuesta la limpieza?");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();

        var call = Llm.ReplyRequests.First(r => r.ToJsonString().Contains(customer.Marker));
        var system = call["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!["content"]!.ToString();
        Assert.Contains("[1] Precios: Limpieza dental: $600 MXN", system);
        var search = Assert.Single(await ToolEventsAsync(customer));
        Assert.Contains("Aceptamos tarjeta, efectivo y transferencia", JsonDocument.Parse(search.Data!).RootElement.GetProperty("output").GetString());
        Assert.Contains(await customer.EventsAsync(), e => e.Type == ConversationEventType.KnowledgeUsed && e.Text!.Contains("Precios") && e.Text.Contains("Formas de pago"));
    }
}
