// The one style sheet of the dashboard, inlined in every page: no fonts, images or scripts to
// fetch, so a page opened from a USB stick or an e-mail attachment looks the same offline.

extension Dashboard {
    static let styleSheet = """
        :root {
          --ink: #1f2937; --muted: #6b7280; --faint: #9ca3af; --line: #e5e7eb; --page: #f6f7f9; --card: #ffffff;
          --accent: #1d4ed8; --accent-soft: #dbeafe;
          --open: #374151; --open-bg: #f3f4f6;
          --overdue: #b91c1c; --overdue-bg: #fee2e2;
          --pending: #1e40af; --pending-bg: #dbeafe;
          --paid: #166534; --paid-bg: #dcfce7;
          --cancelled: #6b7280; --cancelled-bg: #f3f4f6;
          --warning: #92400e; --warning-bg: #fef3c7;
          --exceeded: #ffffff; --exceeded-bg: #b91c1c;
        }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; background: var(--page); color: var(--ink); font-size: 15px; line-height: 1.5;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        .top { background: var(--card); border-bottom: 1px solid var(--line); }
        .bar { max-width: 1160px; margin: 0 auto; padding: 12px 28px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 28px; }
        .brand { font-weight: 650; font-size: 16px; }
        .brand small { display: block; font-weight: 400; font-size: 13px; color: var(--muted); }
        nav { display: flex; flex-wrap: wrap; gap: 4px; margin-left: auto; }
        nav a, nav span { padding: 6px 14px; border-radius: 8px; color: var(--ink); }
        nav a:hover { background: var(--open-bg); text-decoration: none; }
        nav a[aria-current="page"] { background: var(--accent); color: #ffffff; }
        main { max-width: 1160px; margin: 0 auto; padding: 28px; }
        h1 { font-size: 26px; line-height: 1.25; margin: 0 0 4px; font-weight: 650; }
        h2 { font-size: 18px; margin: 36px 0 12px; font-weight: 650; }
        .lead { color: var(--muted); margin: 0 0 20px; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 16px; margin: 20px 0 8px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; }
        .card .label { color: var(--muted); font-size: 13px; }
        .card .value { font-size: 22px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .card.attention .value { color: var(--overdue); }
        .card.caution .value { color: var(--warning); }
        .panel { background: var(--card); border: 1px solid var(--line); border-radius: 12px; overflow-x: auto; }
        table { width: 100%; border-collapse: collapse; }
        th, td { padding: 9px 14px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
        th { font-size: 12px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); white-space: nowrap; }
        tbody tr:last-child td { border-bottom: none; }
        tbody tr:hover { background: #fafafa; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .nowrap { white-space: nowrap; }
        tfoot td { font-weight: 650; border-top: 2px solid var(--line); border-bottom: none; }
        tr.overdue { background: #fff8f8; }
        tr.overdue td:first-child { box-shadow: inset 4px 0 0 var(--overdue); }
        tr.bounced td { color: var(--muted); }
        .muted { color: var(--muted); }
        .small { font-size: 13px; }
        .empty { padding: 18px; color: var(--muted); margin: 0; }
        code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
        .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
        .s-open { background: var(--open-bg); color: var(--open); }
        .s-overdue { background: var(--overdue-bg); color: var(--overdue); }
        .s-pending { background: var(--pending-bg); color: var(--pending); }
        .s-paid, .s-cleared, .s-ok { background: var(--paid-bg); color: var(--paid); }
        .s-cancelled, .s-bounced, .s-none { background: var(--cancelled-bg); color: var(--cancelled); }
        .s-cancelled { text-decoration: line-through; }
        .s-warning { background: var(--warning-bg); color: var(--warning); }
        .s-exceeded { background: var(--exceeded-bg); color: var(--exceeded); }
        .meter { display: inline-block; width: 96px; height: 8px; border-radius: 4px; background: var(--open-bg); vertical-align: middle; overflow: hidden; }
        .meter span { display: block; height: 100%; background: var(--accent); }
        .meter.overdue span, .meter.exceeded span { background: var(--overdue); }
        .meter.warning span { background: #d97706; }
        ul.plain { list-style: none; margin: 0; padding: 0; }
        figure.chart { margin: 0; padding: 12px; background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
        figure.chart svg { display: block; width: 100%; height: auto; }
        .pager { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin: 0 0 16px; }
        .pager a, .pager span { padding: 6px 14px; border: 1px solid var(--line); border-radius: 8px; background: var(--card); }
        .pager span.off { color: var(--faint); }
        .month { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 1px; background: var(--line);
          border: 1px solid var(--line); border-radius: 12px; overflow: hidden; }
        .dow { background: var(--card); padding: 8px 10px; font-size: 12px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
        .day { background: var(--card); min-height: 112px; padding: 6px 8px 8px; min-width: 0; }
        .day.outside { background: #fafafa; }
        .day.outside .n { color: var(--faint); }
        .day.weekend { background: #fcfcfd; }
        .day.today { box-shadow: inset 0 0 0 2px var(--accent); }
        .day .n { font-size: 13px; font-weight: 600; color: var(--muted); }
        .day.today .n { color: var(--accent); }
        .entry { display: block; margin-top: 5px; padding: 4px 7px; border-radius: 6px; border-left: 3px solid; font-size: 12px; line-height: 1.35;
          color: inherit; overflow-wrap: anywhere; }
        .entry:hover { text-decoration: none; filter: brightness(0.97); }
        .entry .who { display: block; font-weight: 600; }
        .entry .amt { display: block; font-variant-numeric: tabular-nums; }
        .entry.s-open { border-color: var(--faint); }
        .entry.s-overdue { border-color: var(--overdue); }
        .entry.s-pending { border-color: var(--pending); }
        .entry.s-paid { border-color: var(--paid); }
        footer { max-width: 1160px; margin: 0 auto; padding: 8px 28px 40px; color: var(--muted); font-size: 13px; }
        @media (max-width: 760px) {
          main, .bar { padding-left: 16px; padding-right: 16px; }
          .month { display: block; }
          .dow, .day.outside, .day.empty-day { display: none; }
          .day { min-height: 0; border-bottom: 1px solid var(--line); }
        }
        @media print {
          body { background: #ffffff; font-size: 10.5pt; }
          nav, .pager { display: none; }
          main, .bar, footer { max-width: none; padding-left: 0; padding-right: 0; }
          .top { border-bottom: 2px solid var(--ink); }
          .card, .panel, figure.chart { break-inside: avoid; }
          tr, .day { break-inside: avoid; }
          a { color: inherit; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """
}
