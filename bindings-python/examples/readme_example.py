from datetime import datetime, timedelta, timezone
import partner_benefits as pb

clock = pb.ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
center = pb.BenefitCenter.open("benefits.db", clock=clock)   # or .open("postgres://user:pw@host/db"), .in_memory(clock=clock)

org = center.create_organization(
    name="Contoso Ltd", account_email="partners@contoso.com",
    admin_name="Avery Admin", admin_email="avery@contoso.com")
admin = center.session(org.id, org.admin_id)                 # acts as the organization's first Global admin
buyer_id = admin.add_user("Blake Buyer", "blake@contoso.com", roles=[pb.Role.MPN_PARTNER_ADMIN])
dev_id = admin.add_user("Devon Dev", "devon@contoso.com", roles=[])
buyer = center.session(org.id, buyer_id)

pkg = buyer.purchase_package("action-pack")                  # purchase needs no Global admin
vs = next(b for b in admin.benefits(pkg.id) if b.category == pb.Category.VISUAL_STUDIO)
try:
    buyer.assign_user(vs.id, dev_id)                         # only a Global admin assigns benefits
except pb.PermissionDenied as e:
    assert e.code == "permission_denied"
admin.assign_user(vs.id, dev_id)

software = next(b for b in admin.benefits(pkg.id) if b.category == pb.Category.SOFTWARE)
keys = admin.get_keys(software.id, language=software.languages[0], os=software.os_types[0])
print(keys.product, len(keys.keys), keys.download_links, keys.special_instructions)

clock.advance(timedelta(days=3))
try:
    admin.cancel_package(pkg.id)                             # software already activated
except pb.RefundNotAllowed as e:
    print(e)
