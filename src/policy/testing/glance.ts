// OpenStack Glance's billing-code example, as tests across the project use it: the two rules
// from Glance's documentation, a `pull` that applies them to readers, property rules that let
// members change properties in general, and the property protections that keep
// `x_billing_code_*` to admins.
export const glanceRules = {
  restricted: "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)",
  download_image: 'role:admin or rule:restricted',
} as const;

export const glancePolicy = {
  ...glanceRules,
  pull: 'rule:is_reader and rule:download_image',
  // Members may change properties in general; the protections below narrow that.
  set_property: 'rule:is_member',
  delete_property: 'rule:is_member',
} as const;

export const glanceProtections = `
[^x_billing_code_.*]
create = admin
read = admin,member
update = admin
delete = admin

[^secret_.*]
create = admin
read = admin
update = admin
delete = admin

[.*]
create = admin,member
read = admin,member,reader
update = admin,member
delete = admin,member
`;
