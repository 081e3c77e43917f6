#!/usr/bin/env python3
"""Evaluate the ansible role's Jinja2 the way Ansible does, for tests on a machine without
Ansible: Jinja2 plus the two Ansible additions the role uses (the `search` test and the
`from_json` filter), host variables templated before use.

  ansible_eval.py render TEMPLATE HOST_VARS.yml      print the rendered template
  ansible_eval.py changed TASKS.yml TASK_NAME REGISTER_NAME STDOUT_FILE
                                                     print true/false: the task's changed_when
                                                     with its registered stdout
"""
import json
import re
import sys

import jinja2
import yaml


def environment():
    # the template module's settings (trim_blocks is on in Ansible)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    env.tests["search"] = lambda value, pattern: re.search(pattern, value) is not None
    env.filters["from_json"] = json.loads
    return env


def templated(env, value, variables):
    """Ansible templates variables when they are used: strings with {{ }} inside."""
    if isinstance(value, dict):
        return {k: templated(env, v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [templated(env, v, variables) for v in value]
    if isinstance(value, str) and "{{" in value:
        return env.from_string(value).render(variables)
    return value


def render(template_path, host_vars_path):
    env = environment()
    with open(host_vars_path) as f:
        variables = yaml.safe_load(f)
    variables = templated(env, variables, variables)
    with open(template_path) as f:
        sys.stdout.write(env.from_string(f.read()).render(variables))


def changed(tasks_path, task_name, register, stdout_path):
    env = environment()
    with open(tasks_path) as f:
        tasks = yaml.safe_load(f)
    task = next(t for t in tasks if t["name"] == task_name)
    with open(stdout_path) as f:
        stdout = f.read()
    expr = env.compile_expression(task["changed_when"].strip())
    print("true" if expr(**{register: {"stdout": stdout}}) else "false")


if __name__ == "__main__":
    if sys.argv[1] == "render":
        render(*sys.argv[2:4])
    elif sys.argv[1] == "changed":
        changed(*sys.argv[2:6])
    else:
        sys.exit("usage: ansible_eval.py render|changed ...")
