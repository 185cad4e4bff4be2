/**
 * The help text shared by `serve` and `worker`: both run the outbox
 * dispatcher and the delay review, so both read these settings. Kept in a
 * module without imports, so that `restock serve --help` loads nothing else.
 */
export const OUTBOX_SETTINGS_HELP = `  RESTOCK_SMTP_URL        smtp:// or smtps:// mail server; unset writes .eml
                          files under <data folder>/mail
  RESTOCK_MAIL_FROM       From header of e-mail
                          (default Restock <restock@localhost>)
  RESTOCK_MERCHANT_EMAIL  where low-stock and out-of-stock alerts go; unset
                          sends none
  RESTOCK_PUBLIC_URL      base URL of links in e-mail
                          (default http://HOST:PORT)
  RESTOCK_LINK_SECRET     secret that signs those links, at least 16
                          characters (default: generated once and stored in
                          <data folder>/secrets.json)
  RESTOCK_DATA_DIR        data folder (default ./data)
`;

/** The description of the delay review that both help texts use. */
export const DELAY_REVIEW_HELP = `The delay review runs at start and every 10 minutes: it sends the delay
notices of the US FTC mail-order rule and cancels the delayed units whose
customer did not consent in time.`;
