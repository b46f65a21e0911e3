#!/usr/bin/python3
"""The operators' dashboard in a real browser (headless Chromium through chromedriver).

usage: dashboard_browser.py OPS_URL TOKEN SEND_STAGE_COMMAND SEND_INFO_COMMAND
Loads the page, signs in with the token, sends a stage notification and sees the accepted
count move, sends a message the monitoring consumer refuses (a dead letter with
--max-failures 1) and replays it by clicking its button."""
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ops_url, token, send_stage, send_info = sys.argv[1:5]

options = Options()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
    options.add_argument(argument)
browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(browser, 20)


def text_of(element_id):
    return browser.find_element(By.ID, element_id).text


try:
    browser.get(ops_url + "/dashboard")
    assert browser.find_element(By.ID, "board").get_attribute("hidden") is not None, "the board shows before sign-in"
    browser.find_element(By.ID, "token").send_keys("not-the-token-at-all")
    browser.find_element(By.ID, "connect").click()
    wait.until(lambda _: "refused" in text_of("error"))
    browser.find_element(By.ID, "token").clear()
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "connect").click()
    wait.until(lambda _: browser.find_element(By.ID, "board").is_displayed())
    assert text_of("accepted") == "0", text_of("accepted")
    assert any("anchor" in row.text for row in browser.find_elements(By.CSS_SELECTOR, "#trust tbody tr"))

    subprocess.run(send_stage, shell=True, check=True, stdout=subprocess.DEVNULL)
    wait.until(lambda _: text_of("accepted") == "1")
    print("accepted count moved to 1")

    subprocess.run(send_info, shell=True, check=True, stdout=subprocess.DEVNULL)
    wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "#dead-letters button.replay"))
    button = browser.find_elements(By.CSS_SELECTOR, "#dead-letters button.replay")[0]
    letter = button.get_attribute("data-id")
    print("dead letter", letter, "shown; replaying it")
    button.click()
    wait.until(lambda _: not browser.find_elements(By.ID, "dead-letter-" + letter))
    print("dead letter", letter, "replayed from the page")
finally:
    browser.quit()
