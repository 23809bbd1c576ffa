import Receivables

/// The reminder templates a store can use: the saved ones (ReminderTemplateSaved) over the
/// built-in "default" ones, looked up as CONTRACT 6 says.
public struct TemplateCatalog: Sendable, Equatable {
    /// The id of the built-in templates, which a plan names to use them.
    public static let defaultTemplateID = "default"

    /// The saved templates, keyed by (template, locale, kind or nil for "any kind").
    private var saved: [Key: TemplateState]

    private struct Key: Hashable, Sendable {
        var template: String
        var locale: ClientLocale
        var kind: ReminderKind?
    }

    /// `saved` in log order: a later template for the same (template, locale, kind) replaces
    /// an earlier one, as a later ReminderTemplateSaved does in the state.
    public init(saved: [TemplateState]) {
        var byKey: [Key: TemplateState] = [:]
        for template in saved {
            byKey[Key(template: template.template, locale: template.locale, kind: template.kind)] = template
        }
        self.saved = byKey
    }

    /// The subject and body for a reminder, and the id of the template they come from:
    /// 1. the saved (id, locale, kind);
    /// 2. the saved (id, locale) for any kind;
    /// 3. the "default" for (locale, kind): a saved "default" for (locale, kind), then for
    ///    (locale, any kind), replaces the built-in one, which is the last resort.
    /// A saved "default" thus replaces the built-in text only where it is saved: a saved
    /// ("default", it, overdue) leaves the built-in before_due and due texts, and every English
    /// one, in place.
    public func template(id: String, locale: ClientLocale, kind: ReminderKind)
        -> (subject: String, body: String, template: String)
    {
        for candidate in [id, Self.defaultTemplateID] {
            for key in [Key(template: candidate, locale: locale, kind: kind),
                        Key(template: candidate, locale: locale, kind: nil)] {
                if let found = saved[key] { return (found.subject, found.body, candidate) }
            }
        }
        let builtIn = BuiltInTemplates.text(locale: locale, kind: kind)
        return (builtIn.subject, builtIn.body, Self.defaultTemplateID)
    }
}

/// The built-in "default" templates: one per locale and kind, polite and professional, with
/// every figure a customer needs to pay: amount, due date, invoice number, IBAN, payment link.
///
/// Each optional figure (IBAN, payment link, company name) stands on a line of its own, since
/// the renderer leaves out a body line whose placeholder has nothing to show (see
/// `ReminderMessage`). Counts of days are written as "label: N" so that no sentence needs a
/// singular and a plural form.
public enum BuiltInTemplates {
    public static func text(locale: ClientLocale, kind: ReminderKind) -> (subject: String, body: String) {
        switch (locale, kind) {
        case (.it, .beforeDue):
            return ("Promemoria: fattura {{invoice.number}} in scadenza il {{deadline.due}}",
                    italian(opening: """
                        Vi ricordiamo che il {{deadline.due}} scade il pagamento della fattura n. {{invoice.number}}, \
                        per un importo di {{deadline.amount}}.
                        """,
                            closing: "Se avete già provveduto al pagamento, Vi preghiamo di non tenere conto di questo messaggio."))
        case (.it, .due):
            return ("Promemoria: fattura {{invoice.number}} in scadenza oggi",
                    italian(opening: """
                        Vi ricordiamo che oggi, {{deadline.due}}, scade il pagamento della fattura n. {{invoice.number}}, \
                        per un importo di {{deadline.amount}}.
                        """,
                            closing: "Se avete già provveduto al pagamento, Vi preghiamo di non tenere conto di questo messaggio."))
        case (.it, .overdue):
            return ("Sollecito di pagamento: fattura {{invoice.number}} scaduta il {{deadline.due}}",
                    italian(opening: """
                        dai nostri controlli contabili risulta non ancora saldata la fattura n. {{invoice.number}}, \
                        di {{deadline.amount}}, scaduta il {{deadline.due}} (giorni di ritardo: {{deadline.daysOverdue}}).
                        """,
                            request: "Vi saremmo grati se poteste provvedere al pagamento al più presto.",
                            closing: """
                        Se nel frattempo avete già provveduto al pagamento, Vi ringraziamo e Vi preghiamo di non tenere \
                        conto di questo sollecito.
                        """))
        case (.en, .beforeDue):
            return ("Reminder: invoice {{invoice.number}} due on {{deadline.due}}",
                    english(opening: """
                        This is a friendly reminder that payment of invoice {{invoice.number}}, for \
                        {{deadline.amount}}, is due on {{deadline.due}}.
                        """,
                            closing: "If you have already paid, please disregard this message."))
        case (.en, .due):
            return ("Reminder: invoice {{invoice.number}} due today",
                    english(opening: """
                        This is a friendly reminder that payment of invoice {{invoice.number}}, for \
                        {{deadline.amount}}, is due today, {{deadline.due}}.
                        """,
                            closing: "If you have already paid, please disregard this message."))
        case (.en, .overdue):
            return ("Overdue payment: invoice {{invoice.number}} due on {{deadline.due}}",
                    english(opening: """
                        According to our records, invoice {{invoice.number}} for {{deadline.amount}}, due on \
                        {{deadline.due}}, has not yet been paid (days overdue: {{deadline.daysOverdue}}).
                        """,
                            request: "We would be grateful if you could arrange payment at your earliest convenience.",
                            closing: "If you have paid in the meantime, thank you, and please disregard this message."))
        }
    }

    private static func italian(opening: String, request: String? = nil, closing: String) -> String {
        letter(paragraphs: [
            "Spett.le {{client.name}},",
            opening + "\nImporto ancora da saldare: {{deadline.outstanding}}.",
            request,
            """
            Per il pagamento con bonifico: IBAN {{bank.iban}}, causale "Fattura n. {{invoice.number}}".
            Per il pagamento online: {{payment.link}}
            """,
            closing,
            "Distinti saluti,\n{{company.name}}",
        ])
    }

    private static func english(opening: String, request: String? = nil, closing: String) -> String {
        letter(paragraphs: [
            "Dear {{client.name}},",
            opening + "\nAmount outstanding: {{deadline.outstanding}}.",
            request,
            """
            To pay by bank transfer: IBAN {{bank.iban}}, reference "Invoice {{invoice.number}}".
            To pay online: {{payment.link}}
            """,
            closing,
            "Kind regards,\n{{company.name}}",
        ])
    }

    /// Paragraphs apart by a blank line, the text ending in a line break.
    private static func letter(paragraphs: [String?]) -> String {
        paragraphs.compactMap { $0 }.joined(separator: "\n\n") + "\n"
    }
}
